export { createSidecar, Sidecar, SidecarSetupError, type SidecarConfig } from "./sidecar";
export { runJob, type LoadedModel } from "./pipeline";
export { loadModels, ModelLoadError, formatBytes } from "./models";
export { chooseExecutionProvider, parseExecutionProvider, fallbackMessage, cudaLibrariesMissing, EXECUTION_PROVIDERS, type ExecutionProviderName, type ProviderChoice } from "./executionProvider";
export { fakeOutputs, outputShapes, parseFaultMode, FAULT_MODES, type FaultMode } from "./faults";
export { Backoff } from "./backoff";
export { SidecarMetrics, serveMetrics } from "./metrics";
export { BlockWatcher, parseNewBlock, type BlockInfo, type ChainEvent } from "./chainEvents";
