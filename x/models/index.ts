export { ModelsKeeper, MODELS_MODULE_ACCOUNT } from "./keeper";
export { modelsModule } from "./module";
export { type ModelsGenesis, type ModelGenesis, type TensorSpecJson, defaultGenesis, modelFromJson, modelToJson } from "./genesis";
export { type ModelsParams, DEFAULT_PARAMS_AUTHORITY, defaultParams } from "./params";
export {
  type Model,
  type ModelSpec,
  type TensorSpec,
  type DTypeName,
  type MetricName,
  DTYPES,
  METRICS,
  MODEL_ID_PATTERN,
  isValidModelId,
  isFloatDType,
  dtypeRange,
  validateModelSpec,
} from "./types";
export {
  type QuantizedTensor,
  elementCount,
  encodeTensorList,
  decodeTensorList,
  checkTensorsAgainstSpecs,
  checkOutputAgainstSpec,
  checkInputAgainstSpec,
  decodeOutput,
  decodeInput,
} from "./tensor";
export { diverges, maxAbsDiff, sumSquaredDiff, argmaxRows } from "./divergence";
export * as modelsErrors from "./errors";
export * as modelsKeys from "./keys";
