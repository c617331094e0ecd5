/**
 * Store layout of x/staking (keys are public API: changing one is a migration). Numbers in
 * keys are zero-padded to 20 digits so that key order is numeric order.
 *
 *   staking/params                                          → inferchain.staking.v1.Params
 *   staking/validators/<operator infervaloper1…>            → inferchain.staking.v1.Validator
 *   staking/validators_by_cons/<consensus address hex>      → operator (ASCII)
 *   staking/power/<2^64-1-power>/<operator bytes hex>       → operator (ASCII); candidates for the
 *                                                             active set: unjailed, power ≥ 1, in
 *                                                             rank order (power desc, address bytes asc)
 *   staking/last_power/<operator>                           → power, decimal ASCII (the set CometBFT has)
 *   staking/delegations/<delegator infer1…>/<operator>      → shares (18 implied decimals), decimal ASCII
 *   staking/delegations_by_validator/<operator>/<delegator> → 0x01
 *   staking/unbonding/<id>                                  → inferchain.staking.v1.UnbondingEntry
 *   staking/unbonding_by_delegator/<delegator>/<operator>/<id> → 0x01
 *   staking/unbonding_by_validator/<operator>/<id>          → 0x01
 *   staking/unbonding_queue/<completion height>/<id>        → 0x01
 *   staking/validator_queue/<completion height>/<operator>  → 0x01 (validators leaving the set)
 *   staking/next_unbonding_id                               → uint64, decimal ASCII
 *   staking/workers/<operator>                              → inferchain.staking.v1.Worker
 *   staking/worker_operator/<worker infer1…>                → operator (ASCII)
 *   staking/model_workers/<model id>/<operator>             → 0x01
 *   staking/consensus_evidence_max_age                      → CometBFT's evidence.max_age_num_blocks from
 *                                                             InitChain, decimal ASCII (absent: none given)
 */
import { pad20, queueKey } from "../../base/store/keys";

export const PARAMS_KEY = "staking/params";

export const VALIDATORS_PREFIX = "staking/validators/";
export const validatorKey = (operator: string): string => VALIDATORS_PREFIX + operator;
export const VALIDATORS_BY_CONS_PREFIX = "staking/validators_by_cons/";
export const validatorByConsKey = (consAddressHex: string): string => VALIDATORS_BY_CONS_PREFIX + consAddressHex;

const MAX_U64 = (1n << 64n) - 1n;

export const POWER_PREFIX = "staking/power/";
/** Highest power first, then operator address bytes ascending (hex keeps byte order). */
export const powerKey = (power: bigint, operatorHex: string): string => `${POWER_PREFIX}${pad20(MAX_U64 - power)}/${operatorHex}`;
export const LAST_POWER_PREFIX = "staking/last_power/";
export const lastPowerKey = (operator: string): string => LAST_POWER_PREFIX + operator;

export const DELEGATIONS_PREFIX = "staking/delegations/";
export const delegatorDelegationsPrefix = (delegator: string): string => `${DELEGATIONS_PREFIX}${delegator}/`;
export const delegationKey = (delegator: string, operator: string): string => `${DELEGATIONS_PREFIX}${delegator}/${operator}`;
export const DELEGATIONS_BY_VALIDATOR_PREFIX = "staking/delegations_by_validator/";
export const validatorDelegationsPrefix = (operator: string): string => `${DELEGATIONS_BY_VALIDATOR_PREFIX}${operator}/`;
export const delegationByValidatorKey = (operator: string, delegator: string): string => `${DELEGATIONS_BY_VALIDATOR_PREFIX}${operator}/${delegator}`;

export const UNBONDING_PREFIX = "staking/unbonding/";
export const unbondingKey = (id: bigint): string => UNBONDING_PREFIX + pad20(id);
export const UNBONDING_BY_DELEGATOR_PREFIX = "staking/unbonding_by_delegator/";
export const delegatorUnbondingPrefix = (delegator: string): string => `${UNBONDING_BY_DELEGATOR_PREFIX}${delegator}/`;
export const delegationUnbondingPrefix = (delegator: string, operator: string): string => `${UNBONDING_BY_DELEGATOR_PREFIX}${delegator}/${operator}/`;
export const unbondingByDelegatorKey = (delegator: string, operator: string, id: bigint): string => delegationUnbondingPrefix(delegator, operator) + pad20(id);
export const UNBONDING_BY_VALIDATOR_PREFIX = "staking/unbonding_by_validator/";
export const validatorUnbondingPrefix = (operator: string): string => `${UNBONDING_BY_VALIDATOR_PREFIX}${operator}/`;
export const unbondingByValidatorKey = (operator: string, id: bigint): string => validatorUnbondingPrefix(operator) + pad20(id);
export const UNBONDING_QUEUE_PREFIX = "staking/unbonding_queue/";
export const unbondingQueueKey = (completionHeight: bigint, id: bigint): string => queueKey(UNBONDING_QUEUE_PREFIX, completionHeight, id);
export const VALIDATOR_QUEUE_PREFIX = "staking/validator_queue/";
export const validatorQueueKey = (completionHeight: bigint, operator: string): string => `${VALIDATOR_QUEUE_PREFIX}${pad20(completionHeight)}/${operator}`;
/** The completion height in a validator queue key. */
export const queueHeight = (prefix: string, key: string): bigint => BigInt(key.slice(prefix.length, prefix.length + 20));
export const NEXT_UNBONDING_ID_KEY = "staking/next_unbonding_id";

export const WORKERS_PREFIX = "staking/workers/";
export const workerKey = (operator: string): string => WORKERS_PREFIX + operator;
export const WORKER_OPERATOR_PREFIX = "staking/worker_operator/";
export const workerOperatorKey = (worker: string): string => WORKER_OPERATOR_PREFIX + worker;
export const MODEL_WORKERS_PREFIX = "staking/model_workers/";
export const modelWorkersPrefix = (modelId: string): string => `${MODEL_WORKERS_PREFIX}${modelId}/`;
export const modelWorkerKey = (modelId: string, operator: string): string => modelWorkersPrefix(modelId) + operator;
/** CometBFT's evidence max age (blocks) as InitChain gave it; the app never changes consensus params, so it holds. */
export const CONSENSUS_EVIDENCE_MAX_AGE_KEY = "staking/consensus_evidence_max_age";
