/**
 * The names of the sidecar's fault modes, apart from what they do (faults.ts as a worker,
 * verifierFaults.ts as a drawn verifier), so the CLI lists them in `--fault` and
 * `--sidecar-fault` without loading the sidecar (issue 12: CLI start-up).
 */
export const FAULT_MODES = ["lazy", "random", "offline", "bad-seal", "withhold"] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const VERIFIER_FAULT_MODES = ["lazy-verifier", "random-verifier", "no-show"] as const;
export type VerifierFaultMode = (typeof VERIFIER_FAULT_MODES)[number];
