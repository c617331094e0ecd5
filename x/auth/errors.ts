/** x/auth's own errors (codespace "auth"); the tx pipeline's generic ones live in app/errors.ts. */
import { registerError } from "../../app/errors";

export const CODESPACE = "auth";
export const ErrInvalidParams = registerError(CODESPACE, 2, "invalid auth params");
export const ErrInvalidGenesis = registerError(CODESPACE, 3, "invalid auth genesis");
