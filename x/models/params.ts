/** Models params: defaults, validation, and the mapping to the stored wire type. */
import { Params } from "../../gen/inferchain/models/v1/models";
import { moduleAddress, parseAddress } from "../../base/types/address";
import { ErrInvalidParams } from "./errors";

export { Params };

/** The domain view of params: amounts as bigint. */
export interface ModelsParams {
  /** uinf a registration must escrow at least; 0 lets anyone register for free. */
  readonly registrationDeposit: bigint;
  readonly paramsAuthority: string;
}

/** No gov module yet: by default nobody holds the authority's key, so params change only by genesis. */
export const DEFAULT_PARAMS_AUTHORITY = moduleAddress("gov");

export function defaultParams(): ModelsParams {
  return { registrationDeposit: 10_000_000n, paramsAuthority: DEFAULT_PARAMS_AUTHORITY };
}

const AMOUNT = /^[0-9]{1,30}$/;

export function validateParams(p: ModelsParams): void {
  if (p.registrationDeposit < 0n || p.registrationDeposit >= 10n ** 30n) throw ErrInvalidParams.wrap("registration_deposit must be in 0..10^30");
  try {
    parseAddress(p.paramsAuthority, undefined, "params_authority");
  } catch (e) {
    throw ErrInvalidParams.wrap((e as Error).message);
  }
}

export function toStored(p: ModelsParams): Params {
  return { registrationDeposit: p.registrationDeposit.toString(), paramsAuthority: p.paramsAuthority };
}

/** Wire params (from a message or the store) → checked domain params. */
export function fromWire(p: Params | undefined): ModelsParams {
  if (!p) throw ErrInvalidParams.wrap("params missing");
  if (!AMOUNT.test(p.registrationDeposit)) throw ErrInvalidParams.wrap("registration_deposit must be a decimal integer");
  const out = { registrationDeposit: BigInt(p.registrationDeposit), paramsAuthority: p.paramsAuthority };
  validateParams(out);
  return out;
}
