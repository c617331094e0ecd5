/**
 * The message registry every inferchain client signs with: CosmJS's default Cosmos types plus
 * this chain's own messages (gen/inferchain/.../tx.ts). The CLI and the sidecar build their
 * SigningStargateClient from it, so any of the chain's messages can be signed by either.
 */
import { Registry, type GeneratedType } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import * as challenge from "../gen/inferchain/challenge/v1/tx";
import * as inference from "../gen/inferchain/inference/v1/tx";
import * as models from "../gen/inferchain/models/v1/tx";
import * as slashing from "../gen/inferchain/slashing/v1/tx";
import * as staking from "../gen/inferchain/staking/v1/tx";

export const MSG_SUBMIT_JOB = "/inferchain.inference.v1.MsgSubmitJob";
export const MSG_SUBMIT_RESULT = "/inferchain.inference.v1.MsgSubmitResult";
export const MSG_OPEN_RESULT = "/inferchain.inference.v1.MsgOpenResult";
export const MSG_REGISTER_WORKER = "/inferchain.staking.v1.MsgRegisterWorker";
export const MSG_REGISTER_MODEL = "/inferchain.models.v1.MsgRegisterModel";
export const MSG_CHALLENGE = "/inferchain.challenge.v1.MsgChallenge";
export const MSG_COMMIT_VERIFICATION = "/inferchain.challenge.v1.MsgCommitVerification";
export const MSG_REVEAL_VERIFICATION = "/inferchain.challenge.v1.MsgRevealVerification";
export const MSG_APPEAL = "/inferchain.challenge.v1.MsgAppeal";
export const MSG_REQUEST_DATA = "/inferchain.challenge.v1.MsgRequestData";
export const MSG_PROVIDE_DATA = "/inferchain.challenge.v1.MsgProvideData";

/** type URL → codec of inferchain's own messages. */
export const inferchainTypes: ReadonlyArray<[string, GeneratedType]> = [
  [MSG_SUBMIT_JOB, inference.MsgSubmitJob as GeneratedType],
  [MSG_SUBMIT_RESULT, inference.MsgSubmitResult as GeneratedType],
  [MSG_OPEN_RESULT, inference.MsgOpenResult as GeneratedType],
  ["/inferchain.inference.v1.MsgUpdateParams", inference.MsgUpdateParams as GeneratedType],
  [MSG_REGISTER_WORKER, staking.MsgRegisterWorker as GeneratedType],
  ["/inferchain.staking.v1.MsgUpdateParams", staking.MsgUpdateParams as GeneratedType],
  [MSG_REGISTER_MODEL, models.MsgRegisterModel as GeneratedType],
  ["/inferchain.models.v1.MsgUpdateParams", models.MsgUpdateParams as GeneratedType],
  ["/inferchain.slashing.v1.MsgUpdateParams", slashing.MsgUpdateParams as GeneratedType],
  [MSG_CHALLENGE, challenge.MsgChallenge as GeneratedType],
  [MSG_COMMIT_VERIFICATION, challenge.MsgCommitVerification as GeneratedType],
  [MSG_REVEAL_VERIFICATION, challenge.MsgRevealVerification as GeneratedType],
  [MSG_APPEAL, challenge.MsgAppeal as GeneratedType],
  ["/inferchain.challenge.v1.MsgUpdateParams", challenge.MsgUpdateParams as GeneratedType],
  [MSG_REQUEST_DATA, challenge.MsgRequestData as GeneratedType],
  [MSG_PROVIDE_DATA, challenge.MsgProvideData as GeneratedType],
];

/** A fresh registry with the Cosmos defaults and every inferchain message. */
export function inferchainRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...inferchainTypes]);
}

export interface MsgSubmitJobEncodeObject {
  readonly typeUrl: typeof MSG_SUBMIT_JOB;
  readonly value: inference.MsgSubmitJob;
}

export interface MsgSubmitResultEncodeObject {
  readonly typeUrl: typeof MSG_SUBMIT_RESULT;
  readonly value: inference.MsgSubmitResult;
}

export interface MsgOpenResultEncodeObject {
  readonly typeUrl: typeof MSG_OPEN_RESULT;
  readonly value: inference.MsgOpenResult;
}

export interface MsgRegisterWorkerEncodeObject {
  readonly typeUrl: typeof MSG_REGISTER_WORKER;
  readonly value: staking.MsgRegisterWorker;
}

export function msgSubmitJob(v: inference.MsgSubmitJob): MsgSubmitJobEncodeObject {
  return { typeUrl: MSG_SUBMIT_JOB, value: v };
}

export function msgSubmitResult(v: inference.MsgSubmitResult): MsgSubmitResultEncodeObject {
  return { typeUrl: MSG_SUBMIT_RESULT, value: v };
}

export function msgOpenResult(v: inference.MsgOpenResult): MsgOpenResultEncodeObject {
  return { typeUrl: MSG_OPEN_RESULT, value: v };
}

export function msgRegisterWorker(v: staking.MsgRegisterWorker): MsgRegisterWorkerEncodeObject {
  return { typeUrl: MSG_REGISTER_WORKER, value: v };
}
