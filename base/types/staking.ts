/** Chain-wide staking constants every layer agrees on (Cosmos keeps them in `types/staking.go`). */

/** Voting power = bonded uinf / 10^6: one power per INF (SPEC §3; Cosmos's DefaultPowerReduction). */
export const POWER_REDUCTION = 1_000_000n;
