/** x/models's errors (codespace "models"); the numbers are API and never change. */
import { registerError } from "../../base/errors";

export const CODESPACE = "models";
export const ErrInvalidModelId = registerError(CODESPACE, 2, "invalid model id");
export const ErrInvalidSha256 = registerError(CODESPACE, 3, "invalid onnx sha256");
export const ErrInvalidUri = registerError(CODESPACE, 4, "invalid model uri");
export const ErrInvalidTensorSpec = registerError(CODESPACE, 5, "invalid tensor spec");
export const ErrInvalidMetric = registerError(CODESPACE, 6, "invalid divergence metric");
export const ErrInvalidThreshold = registerError(CODESPACE, 7, "invalid divergence threshold");
export const ErrInvalidQuantScale = registerError(CODESPACE, 8, "invalid quant_scale_bits");
export const ErrInvalidSizeLimit = registerError(CODESPACE, 9, "invalid input/output size limit");
export const ErrInvalidSla = registerError(CODESPACE, 10, "invalid sla_blocks");
export const ErrInvalidFee = registerError(CODESPACE, 11, "invalid min_fee");
export const ErrModelExists = registerError(CODESPACE, 12, "model id already registered");
export const ErrModelNotFound = registerError(CODESPACE, 13, "model not found");
export const ErrInsufficientDeposit = registerError(CODESPACE, 14, "deposit below registration_deposit");
export const ErrInvalidParams = registerError(CODESPACE, 15, "invalid models params");
export const ErrUnauthorizedParams = registerError(CODESPACE, 16, "only the params authority may change models params");
export const ErrInvalidGenesis = registerError(CODESPACE, 17, "invalid models genesis");
export const ErrMalformedTensor = registerError(CODESPACE, 18, "malformed quantized tensor list");
export const ErrTensorSpecMismatch = registerError(CODESPACE, 19, "tensors do not match the model's spec");
export const ErrTensorTooLarge = registerError(CODESPACE, 20, "tensor list exceeds the model's size limit");
