/** x/auth's own errors (codespace "auth"); the tx pipeline's generic ones live in base/errors.ts. */
import { registerError } from "../../base/errors";

export const CODESPACE = "auth";
export const ErrInvalidParams = registerError(CODESPACE, 2, "invalid auth params");
export const ErrInvalidGenesis = registerError(CODESPACE, 3, "invalid auth genesis");
