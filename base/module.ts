/**
 * What a module registers with the app. The base layer knows modules only through this
 * shape: message handlers by type URL, query handlers by gRPC method path, genesis, and
 * block hooks (which run in the order `app/app.ts` lists the modules).
 */
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import type { ConsensusParams } from "cosmjs-types/tendermint/types/params";
import type { BlockHookInfo, Context, QueryContext } from "./context";

export interface MsgResponse {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

export interface MsgHandler<M> {
  /** Protobuf type URL, e.g. `/cosmos.bank.v1beta1.MsgSend`. */
  readonly typeUrl: string;
  /** Wire bytes → checked domain message; throws an AppError on malformed input. */
  decode(value: Uint8Array): M;
  /** Addresses (bech32) whose signatures the message needs, in order. */
  signers(msg: M): readonly string[];
  /** Stateless checks; run in CheckTx before anything touches state. */
  validateBasic(msg: M): void;
  /** Effects, on a branch of block state that is dropped if this throws. */
  execute(ctx: Context, msg: M): MsgResponse;
}

/** A handler of some message type; the router keeps handlers of every type side by side. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMsgHandler = MsgHandler<any>;

export interface QueryHandler {
  /** gRPC method path, e.g. `/cosmos.bank.v1beta1.Query/Balance`; also the ABCI query path. */
  readonly path: string;
  handle(ctx: QueryContext, request: Uint8Array): Uint8Array;
}

export interface AppModule {
  readonly name: string;
  readonly msgHandlers?: readonly AnyMsgHandler[];
  readonly queries?: readonly QueryHandler[];
  /** Proto files (relative to the proto include dirs) that describe this module's services, for reflection. */
  readonly protoFiles?: readonly string[];
  defaultGenesis?(): unknown;
  /**
   * Returns the genesis validator set if this module decides it (staking). `consensusParams`
   * are CometBFT's, as InitChain carries them (genesis.json's `consensus_params`), for modules
   * whose params must agree with them (staking: unbonding outlasts the evidence max age).
   */
  initGenesis?(ctx: Context, genesis: unknown, consensusParams?: ConsensusParams): readonly ValidatorUpdate[] | void;
  exportGenesis?(ctx: QueryContext): unknown;
  beginBlock?(ctx: Context, info: BlockHookInfo): void;
  endBlock?(ctx: Context): readonly ValidatorUpdate[] | void;
}
