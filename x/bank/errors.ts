/** x/bank's errors (codespace "bank"); insufficient funds uses the SDK's code 5 so clients recognise it. */
import { registerError } from "../../base/errors";

export const CODESPACE = "bank";
export const ErrNoInputs = registerError(CODESPACE, 2, "no inputs to send transaction");
export const ErrSendDisabled = registerError(CODESPACE, 5, "send transactions are disabled");
export const ErrInvalidGenesis = registerError(CODESPACE, 6, "invalid bank genesis");
export const ErrBlockedAddress = registerError(CODESPACE, 7, "address is not allowed to receive funds");
