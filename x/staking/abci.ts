/**
 * x/staking's block hook. EndBlock, in the Cosmos order: the active set is recomputed and its
 * changes returned to CometBFT (a jail, slash or delegation earlier in the block shows here),
 * then validators that finished unbonding become UNBONDED, then matured unbonding entries pay
 * their delegators (queue key order: completion height, then entry id).
 */
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import type { Context } from "../../base/context";
import type { StakingKeeper } from "./keeper";

export function endBlocker(staking: StakingKeeper, ctx: Context): ValidatorUpdate[] {
  const updates = staking.applyValidatorSetUpdates(ctx);
  staking.completeValidatorUnbondings(ctx);
  staking.completeUnbondings(ctx);
  return updates;
}
