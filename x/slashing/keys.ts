/**
 * Store layout of x/slashing (keys are public API: changing one is a migration). Numbers in
 * keys are zero-padded to 20 digits so that key order is numeric order.
 *
 *   slashing/params                                      → inferchain.slashing.v1.Params (after a 1-byte version tag)
 *   slashing/signing_infos/<infervalcons1…>              → inferchain.slashing.v1.ValidatorSigningInfo, as of its
 *                                                          last_seen_height (see below)
 *   slashing/missed/<infervalcons1…>/<bitmap index>      → 0x01 (absent: signed); index < signed_blocks_window
 *   slashing/liveness/height                             → uint64, decimal ASCII: the last height whose commit counted
 *                                                          anyone (absent: nobody is counted)
 *   slashing/liveness/counted                            → the 20-byte consensus addresses counted at that height,
 *                                                          concatenated in commit order
 *   slashing/events/<id>                                 → inferchain.slashing.v1.SlashEvent
 *   slashing/events_by_validator/<infervaloper1…>/<id>   → 0x01
 *   slashing/next_event_id                               → uint64, decimal ASCII (ids start at 1)
 *   slashing/correlation/<slash id>                      → inferchain.slashing.v1.CorrelationRecord
 *                                                          (id order is height order: ids grow block by block)
 *   slashing/correlation_due/<due height>/<slash id>     → 0x01 (records whose window closes at that height)
 *
 * A stored signing info is written only when something other than the passing of blocks
 * changes it (a missed-block counter that moves, a new start height, a jail, a reset, the end
 * of a run of counted blocks). For a validator in `liveness/counted`, the live record at
 * `liveness/height` H has last_seen_height H and index_offset advanced by H − the stored
 * last_seen_height: while everyone signs, a block writes only `liveness/height`.
 */
import { pad20, queueKey } from "../../base/store/keys";

export const PARAMS_KEY = "slashing/params";

export const SIGNING_INFOS_PREFIX = "slashing/signing_infos/";
export const signingInfoKey = (consAddress: string): string => SIGNING_INFOS_PREFIX + consAddress;

export const MISSED_PREFIX = "slashing/missed/";
export const missedPrefix = (consAddress: string): string => `${MISSED_PREFIX}${consAddress}/`;
export const missedKey = (consAddress: string, index: bigint): string => missedPrefix(consAddress) + pad20(index);

export const LIVENESS_HEIGHT_KEY = "slashing/liveness/height";
export const LIVENESS_COUNTED_KEY = "slashing/liveness/counted";

export const EVENTS_PREFIX = "slashing/events/";
export const eventKey = (id: bigint): string => EVENTS_PREFIX + pad20(id);
export const EVENTS_BY_VALIDATOR_PREFIX = "slashing/events_by_validator/";
export const validatorEventsPrefix = (operator: string): string => `${EVENTS_BY_VALIDATOR_PREFIX}${operator}/`;
export const eventByValidatorKey = (operator: string, id: bigint): string => validatorEventsPrefix(operator) + pad20(id);
export const NEXT_EVENT_ID_KEY = "slashing/next_event_id";

export const CORRELATION_PREFIX = "slashing/correlation/";
export const correlationKey = (slashId: bigint): string => CORRELATION_PREFIX + pad20(slashId);
export const CORRELATION_DUE_PREFIX = "slashing/correlation_due/";
export const correlationDueKey = (dueHeight: bigint, slashId: bigint): string => queueKey(CORRELATION_DUE_PREFIX, dueHeight, slashId);
