/**
 * Tx fuzzing at the ABCI edge. Thousands of random and mutated txs (bit flips, insertions,
 * deletions, truncations, splices, random protobuf, field swaps, structured random txs) go
 * through CheckTx and through FinalizeBlock, in blocks, with Commit after each. Nothing may
 * throw, CheckTx may not report an internal error, and no refused tx may change state: a twin
 * app with the same genesis runs the same heights with only the accepted txs (normally none,
 * i.e. empty blocks), and the app hashes, balances and sequences must match block by block.
 *
 * Each block is also proposed: PrepareProposal over the mutated txs with valid pool txs mixed
 * in must build a block that ProcessProposal accepts (the one-transition property), and
 * neither may leave a trace in committed or check state.
 *
 * Reproduce a run with FUZZ_SEED=<seed>; FUZZ_TXS sets the number of txs (default 100,000).
 */
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { encodePubkey, makeAuthInfoBytes } from "@cosmjs/proto-signing";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { CheckTxType, ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import type { BaseApp } from "../base/baseapp";
import { moduleAddress } from "../base/types/address";
import { account, balance, checkStateWrites, finalizeRequest, genesisBytes, hex, openChain, proposalRequest, runBlock, signDirect, type TestChain } from "./support/chain";
import { msgSendAny, testKey, type TestKey } from "./support/txs";
import { mulberry32 } from "./support/rng";

const CHAIN_ID = "fuzz-1";
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0x1badc0de;
const TOTAL_TXS = process.env.FUZZ_TXS !== undefined ? Number(process.env.FUZZ_TXS) : 100_000;
const BLOCK_TXS = 500;
const POOL_SIZE = 50;
const CURVE_N = secp256k1.Point.CURVE().n;

// ---------------------------------------------------------------- seeded randomness


class Rng {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
  /** Small numbers mostly, sometimes large, sometimes at the edges. */
  u64(): bigint {
    switch (this.int(5)) {
      case 0:
        return BigInt(this.int(4));
      case 1:
        return BigInt(this.int(1_000_000));
      case 2:
        return 2n ** 64n - 1n - BigInt(this.int(3));
      case 3:
        return BigInt(this.int(2 ** 31)) * BigInt(this.int(2 ** 31));
      default:
        return BigInt(this.int(300_000));
    }
  }
}

// ---------------------------------------------------------------- protobuf bytes

function varint(n: bigint | number): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** Protobuf-shaped noise: random field numbers and wire types, nested messages, lengths sometimes wrong. */
function randomProto(r: Rng, depth = 0): number[] {
  const out: number[] = [];
  const fields = 1 + r.int(6);
  for (let i = 0; i < fields; i++) {
    const field = r.chance(0.85) ? 1 + r.int(5) : 1 + r.int(2100);
    const wire = r.chance(0.95) ? r.pick([0, 0, 1, 2, 2, 2, 2, 5]) : r.pick([3, 4, 6, 7]);
    out.push(...varint((field << 3) | wire));
    if (wire === 0) out.push(...varint(r.u64() & (2n ** 64n - 1n)));
    else if (wire === 1) out.push(...r.bytes(8));
    else if (wire === 5) out.push(...r.bytes(4));
    else if (wire === 2) {
      const payload = depth < 3 && r.chance(0.5) ? randomProto(r, depth + 1) : [...r.bytes(r.int(48))];
      const len = r.chance(0.9) ? payload.length : Math.max(0, payload.length + r.int(7) - 3);
      out.push(...varint(len), ...payload);
    }
  }
  return out;
}

// ---------------------------------------------------------------- the chain and a pool of valid txs

interface Signer {
  readonly key: TestKey;
  readonly accountNumber: bigint;
}

/** A pool of txs that are valid on the current state, of varied shapes. */
async function makePool(r: Rng, app: BaseApp, signers: readonly Signer[], others: readonly string[], size = POOL_SIZE): Promise<Uint8Array[]> {
  const seq = new Map<string, bigint>();
  for (const s of signers) seq.set(s.key.address, (await account(app, s.key.address))?.sequence ?? 0n);
  const pool: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    // Mostly one signer; every fifth tx has two (two MsgSends from different accounts).
    const who = i % 5 === 4 ? [signers[i % signers.length], signers[(i + 1) % signers.length]] : [signers[i % signers.length]];
    const msgs: Any[] = [];
    for (const s of who) for (let m = 0; m < 1 + r.int(3); m++) msgs.push(msgSendAny(s.key.address, r.pick(others), BigInt(1 + r.int(1000))));
    const memo = r.chance(0.5) ? "" : "memo-" + "x".repeat(r.int(60));
    const bodyBytes = TxBody.encode(TxBody.fromPartial({ messages: msgs, memo, timeoutHeight: r.chance(0.2) ? 1_000_000n : 0n })).finish();
    const gas = BigInt(150_000 + r.int(200_000));
    const fee = (gas * 25n + 999n) / 1000n + BigInt(r.int(3) === 0 ? r.int(1000) : 0);
    const authInfoBytes = makeAuthInfoBytes(
      who.map((s) => ({ pubkey: encodePubkey(encodeSecp256k1Pubkey(s.key.pubkey)), sequence: Number(seq.get(s.key.address)) })),
      [{ denom: "uinf", amount: fee.toString() }],
      Number(gas),
      undefined,
      r.chance(0.2) ? who[0].key.address : undefined,
    );
    const signatures = await Promise.all(who.map((s) => signDirect(s.key.privkey, bodyBytes, authInfoBytes, CHAIN_ID, s.accountNumber)));
    pool.push(TxRaw.encode({ bodyBytes, authInfoBytes, signatures }).finish());
  }
  return pool;
}

// ---------------------------------------------------------------- mutators

type Mutator = (r: Rng, src: Uint8Array, pool: readonly Uint8Array[]) => Uint8Array;

const concat = (...parts: ArrayLike<number>[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

function decodeRaw(b: Uint8Array): TxRaw | undefined {
  try {
    return TxRaw.decode(b);
  } catch {
    return undefined;
  }
}

function flipBits(r: Rng, b: Uint8Array, n = 1 + r.int(4)): Uint8Array {
  const out = Uint8Array.from(b);
  if (out.length === 0) return out;
  for (let i = 0; i < n; i++) out[r.int(out.length)] ^= 1 << r.int(8);
  return out;
}

/** A position biased towards the start, where the framing and the body's first fields are. */
const position = (r: Rng, len: number): number => (r.chance(0.5) ? r.int(Math.min(len + 1, 64)) : r.int(len + 1));

/** Replaces one part of a decoded TxRaw and re-encodes it canonically, so the change reaches the checks behind decoding. */
function innerMutation(r: Rng, src: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  const raw = decodeRaw(src);
  if (!raw) return flipBits(r, src);
  const other = decodeRaw(r.pick(pool)) ?? raw;
  const sigs = [...raw.signatures];
  switch (r.int(12)) {
    case 0:
      return TxRaw.encode({ ...raw, bodyBytes: flipBits(r, raw.bodyBytes) }).finish();
    case 1:
      return TxRaw.encode({ ...raw, authInfoBytes: flipBits(r, raw.authInfoBytes) }).finish();
    case 2:
      return TxRaw.encode({ ...raw, signatures: sigs.map((s) => (r.chance(0.5) ? flipBits(r, s, 1) : s)) }).finish();
    case 3: // another tx's (valid) body, authInfo or signatures
      return TxRaw.encode(r.pick([{ ...raw, bodyBytes: other.bodyBytes }, { ...raw, authInfoBytes: other.authInfoBytes }, { ...raw, signatures: other.signatures }])).finish();
    case 4: {
      // high-s twin of a valid signature: the same (r, s) in the other half of the order
      const i = r.int(Math.max(1, sigs.length));
      if (sigs[i]?.length === 64) {
        const s = BigInt("0x" + hex(sigs[i].subarray(32)));
        sigs[i] = concat(sigs[i].subarray(0, 32), Buffer.from((CURVE_N - s).toString(16).padStart(64, "0"), "hex"));
      }
      return TxRaw.encode({ ...raw, signatures: sigs }).finish();
    }
    case 5: // drop, duplicate, reorder or resize signatures
      return TxRaw.encode({ ...raw, signatures: r.pick([[], [...sigs, ...sigs], [...sigs].reverse(), sigs.map((s) => s.subarray(0, r.int(s.length + 1))), [r.bytes(64)]]) }).finish();
    case 6: {
      // edit the auth info structurally: sequence, gas, fee, sign mode, key, payer
      let ai: AuthInfo;
      try {
        ai = AuthInfo.decode(raw.authInfoBytes);
      } catch {
        return flipBits(r, src);
      }
      const si = ai.signerInfos[0];
      switch (r.int(7)) {
        case 0:
          if (si) si.sequence = r.u64();
          break;
        case 1:
          if (ai.fee) ai.fee.gasLimit = r.u64();
          break;
        case 2:
          if (ai.fee) ai.fee.amount = r.pick([[], [{ denom: "uinf", amount: r.u64().toString() }], [{ denom: "uinf", amount: "0" }], [{ denom: "ufoo", amount: "5000" }], [{ denom: "uinf", amount: "-5" }], [{ denom: "zz", amount: "1" }, { denom: "aa", amount: "1" }]]);
          break;
        case 3:
          if (si) si.modeInfo = r.pick([undefined, { single: { mode: r.pick([SignMode.SIGN_MODE_LEGACY_AMINO_JSON, SignMode.SIGN_MODE_TEXTUAL, SignMode.SIGN_MODE_UNSPECIFIED, 999 as SignMode]) } }, { multi: { bitarray: undefined, modeInfos: [] } }]);
          break;
        case 4:
          if (si) si.publicKey = r.pick([undefined, { typeUrl: "/cosmos.crypto.ed25519.PubKey", value: r.bytes(34) }, { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: PubKey.encode({ key: r.bytes(r.pick([0, 32, 33, 65])) }).finish() }, { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: r.bytes(20) }]);
          break;
        case 5:
          if (ai.fee) ai.fee.payer = r.pick(["", "infer1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "not-an-address", moduleAddress("fee_collector")]);
          break;
        default:
          if (ai.fee) ai.fee.granter = "infer1granter";
      }
      return TxRaw.encode({ ...raw, authInfoBytes: AuthInfo.encode(ai).finish() }).finish();
    }
    case 7: {
      // edit the body structurally: messages, memo, timeout, extension options
      let body: TxBody;
      try {
        body = TxBody.decode(raw.bodyBytes);
      } catch {
        return flipBits(r, src);
      }
      switch (r.int(6)) {
        case 0:
          body.messages = r.pick([[], [...body.messages, ...body.messages], body.messages.slice(1), [...body.messages].reverse()]);
          break;
        case 1:
          body.memo = r.pick(["", "x".repeat(300), "\u0000\uffff", "é".repeat(200)]);
          break;
        case 2:
          body.timeoutHeight = r.pick([1n, 2n, r.u64()]);
          break;
        case 3:
          body.extensionOptions = [{ typeUrl: "/cosmos.ext", value: r.bytes(4) }];
          break;
        case 4:
          if (body.messages[0]) body.messages[0] = { typeUrl: r.pick(["", "/cosmos.bank.v1beta1.MsgMultiSend", "/cosmos.bank.v1beta1.MsgSend ", "cosmos.bank.v1beta1.MsgSend"]), value: body.messages[0].value };
          break;
        default:
          if (body.messages[0]) body.messages[0] = { typeUrl: body.messages[0].typeUrl, value: flipBits(r, body.messages[0].value) };
      }
      return TxRaw.encode({ ...raw, bodyBytes: TxBody.encode(body).finish() }).finish();
    }
    case 8: // swap two fields' order on the wire (non-canonical but decodable)
      return concat(
        TxRaw.encode({ bodyBytes: new Uint8Array(), authInfoBytes: raw.authInfoBytes, signatures: [] }).finish(),
        TxRaw.encode({ bodyBytes: raw.bodyBytes, authInfoBytes: new Uint8Array(), signatures: raw.signatures }).finish(),
      );
    case 9: // a field twice
      return concat(src, TxRaw.encode({ bodyBytes: r.chance(0.5) ? raw.bodyBytes : other.bodyBytes, authInfoBytes: new Uint8Array(), signatures: [] }).finish());
    case 10: // an unknown field somewhere
      return concat(src, varint((4 + r.int(200)) << 3), varint(r.int(1000)));
    default: // body and auth info swapped
      return TxRaw.encode({ bodyBytes: raw.authInfoBytes, authInfoBytes: raw.bodyBytes, signatures: raw.signatures }).finish();
  }
}

/** A canonically encoded tx whose contents are random but plausible: it passes decoding and reaches the ante handler. */
function structuredRandom(r: Rng, addrs: readonly string[]): Uint8Array {
  const addr = (): string => (r.chance(0.8) ? r.pick(addrs) : r.pick(["", "infer1xyz", "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "infervaloper1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"]));
  const coin = () => ({ denom: r.pick(["uinf", "uinf", "ufoo", "", "u", "UINF"]), amount: r.pick(["1", "0", "-1", "1.5", r.u64().toString(), "9".repeat(80), ""]) });
  const msgs: Any[] = Array.from({ length: r.int(4) }, () =>
    r.chance(0.85)
      ? { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: addr(), toAddress: addr(), amount: Array.from({ length: r.int(3) }, coin) }).finish() }
      : { typeUrl: r.pick(["/cosmos.bank.v1beta1.MsgMultiSend", "/inferchain.inference.v1.MsgSubmitJob", ""]), value: Uint8Array.from(randomProto(r)) },
  );
  const bodyBytes = TxBody.encode(TxBody.fromPartial({ messages: msgs, memo: r.chance(0.9) ? "" : "m".repeat(r.int(300)), timeoutHeight: r.chance(0.8) ? 0n : r.u64() })).finish();
  const signerInfos = Array.from({ length: r.int(3) }, () => ({
    publicKey: r.chance(0.7) ? { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: PubKey.encode({ key: r.chance(0.8) ? secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(r.bytes(48)), true) : r.bytes(33) }).finish() } : undefined,
    modeInfo: { single: { mode: r.chance(0.9) ? SignMode.SIGN_MODE_DIRECT : SignMode.SIGN_MODE_LEGACY_AMINO_JSON } },
    sequence: r.u64(),
  }));
  const authInfoBytes = AuthInfo.encode(AuthInfo.fromPartial({ signerInfos, fee: { amount: Array.from({ length: r.int(3) }, coin), gasLimit: r.u64(), payer: r.chance(0.9) ? "" : addr(), granter: "" } })).finish();
  const signatures = Array.from({ length: r.chance(0.9) ? signerInfos.length : r.int(3) }, () => (r.chance(0.9) ? r.bytes(64) : r.bytes(r.int(80))));
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures }).finish();
}

const MUTATORS: ReadonlyArray<readonly [string, number, Mutator]> = [
  ["bit flips", 14, (r, src) => flipBits(r, src)],
  ["byte insertion", 8, (r, src) => { const i = position(r, src.length); return concat(src.subarray(0, i), r.bytes(1 + r.int(4)), src.subarray(i)); }],
  ["byte deletion", 8, (r, src) => { const i = position(r, src.length); return concat(src.subarray(0, i), src.subarray(Math.min(src.length, i + 1 + r.int(4)))); }],
  ["interesting byte", 6, (r, src) => { const out = Uint8Array.from(src); if (out.length) out[position(r, out.length - 1)] = r.pick([0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a]); return out; }],
  ["truncation", 8, (r, src) => src.subarray(0, r.int(src.length))],
  ["splice of two txs", 8, (r, src, pool) => { const o = r.pick(pool); return concat(src.subarray(0, r.int(src.length + 1)), o.subarray(r.int(o.length + 1))); }],
  ["random protobuf", 8, (r) => Uint8Array.from(randomProto(r))],
  ["random bytes", 4, (r) => r.bytes(r.int(600))],
  ["field swaps and structural edits", 24, innerMutation],
];

// ---------------------------------------------------------------- the run

describe("tx fuzzing", () => {
  let chain: TestChain;
  let twin: TestChain;

  afterAll(async () => {
    await chain?.close();
    await twin?.close();
  });

  test(`${TOTAL_TXS} random and mutated txs through CheckTx and FinalizeBlock change nothing`, async () => {
    const started = process.hrtime.bigint();
    console.log(`fuzz: seed ${SEED} (0x${SEED.toString(16)}), ${TOTAL_TXS} txs in blocks of ${BLOCK_TXS}; reproduce with FUZZ_SEED=${SEED}`);
    const r = new Rng(mulberry32(SEED));

    const keys = await Promise.all([201, 202, 203, 204].map((s) => testKey(s)));
    const outsiders = await Promise.all([205, 206].map((s) => testKey(s)));
    const signers: Signer[] = keys.map((key, i) => ({ key, accountNumber: BigInt(i) }));
    const addrs = [...keys, ...outsiders].map((k) => k.address);
    const watched = [...addrs, moduleAddress("fee_collector")];
    const genesis = genesisBytes(keys.map((k) => [k.address, 10n ** 12n] as const));
    chain = await openChain(CHAIN_ID, genesis, "inferchain-fuzz-");
    twin = await openChain(CHAIN_ID, genesis, "inferchain-fuzz-twin-");

    // Block 1: the first two keys sign once (key on chain, sequence 1); the other two never have.
    const setup = [
      (await makePool(r, chain.app, [signers[0]], addrs, 1))[0],
      (await makePool(r, chain.app, [signers[1]], addrs, 1))[0],
    ];
    const [a, b] = [await runBlock(chain.app, 1n, setup), await runBlock(twin.app, 1n, setup)];
    expect(a.txResults.map((t) => t.code)).toEqual([0, 0]);
    expect(hex(a.appHash)).toBe(hex(b.appHash));

    let pool = await makePool(r, chain.app, signers, addrs);
    // Every pool tx is valid as it stands: ProcessProposal runs the full ante handler on a throwaway branch.
    for (const tx of pool) expect(chain.app.processProposal(proposalRequest(2n, [tx]).process).status).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);

    const codes = new Map<string, number>();
    const byMutator = new Map<string, number>();
    let checkAccepted = 0;
    let proposedTxs = 0;
    let blockAccepted = 0;
    const acceptedHow: string[] = [];
    const weights = MUTATORS.reduce((n, [, w]) => n + w, 0);
    const mutate = (src: Uint8Array): [string, Uint8Array] => {
      if (r.chance(0.08)) return ["structured random tx", structuredRandom(r, addrs)];
      let x = r.int(weights);
      for (const [name, w, m] of MUTATORS) {
        if ((x -= w) < 0) {
          let out = m(r, src, pool);
          if (r.chance(0.15)) out = r.pick(MUTATORS)[2](r, out, pool); // sometimes two mutations stacked
          return [name, out];
        }
      }
      throw new Error("unreachable");
    };

    let height = 2n;
    for (let done = 0; done < TOTAL_TXS; height++) {
      const n = Math.min(BLOCK_TXS, TOTAL_TXS - done);
      const batch: Array<{ how: string; tx: Uint8Array }> = [];
      while (batch.length < n) {
        const src = r.pick(pool);
        const [how, tx] = mutate(src);
        if (Buffer.compare(Buffer.from(tx), Buffer.from(src)) === 0) continue; // a no-op is not a mutation
        batch.push({ how, tx });
        byMutator.set(how, (byMutator.get(how) ?? 0) + 1);
      }
      const where = (i: number): string => `seed ${SEED}, height ${height}, tx ${i} (${batch[i].how}): ${hex(batch[i].tx)}`;
      const failures: string[] = [];

      // CheckTx: no exception, no internal error, and no trace in the check state unless accepted.
      let checkState = checkStateWrites(chain.app).join("\n");
      const checkCodes: string[] = [];
      let batchCheckAccepted = 0;
      for (const [i, { tx }] of batch.entries()) {
        let res;
        try {
          res = chain.app.checkTx({ tx, type: CheckTxType.NEW });
        } catch (e) {
          failures.push(`CheckTx threw ${(e as Error).stack ?? String(e)} at ${where(i)}`);
          continue;
        }
        const pair = `${res.codespace}/${res.code}`;
        checkCodes[i] = pair;
        codes.set(pair, (codes.get(pair) ?? 0) + 1);
        if (res.code === 0) {
          checkAccepted++;
          batchCheckAccepted++;
          checkState = checkStateWrites(chain.app).join("\n");
          continue;
        }
        if (res.codespace === "undefined" || (res.codespace === "sdk" && res.code === 111222) || res.log === "") failures.push(`CheckTx internal error or empty log (${pair} ${res.log}) at ${where(i)}`);
        if (checkStateWrites(chain.app).join("\n") !== checkState) failures.push(`CheckTx refused (${pair} ${res.log}) but changed the check state at ${where(i)}`);
      }

      // The refusals left the mempool path usable: a valid tx still passes (Commit below undoes it).
      if (batchCheckAccepted === 0) {
        const probe = chain.app.checkTx({ tx: pool[0], type: CheckTxType.NEW });
        expect({ height, code: probe.code, log: probe.log }).toEqual({ height, code: 0, log: "" });
      }

      // Proposals: the mutated txs with a few valid ones mixed in. Whatever the proposer builds,
      // every validator accepts; neither step leaves a trace.
      const offered = batch.map((t) => t.tx);
      for (let k = 0; k < 5; k++) offered.splice(r.int(offered.length + 1), 0, r.pick(pool));
      const before = { check: checkStateWrites(chain.app).join("\n"), info: chain.app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" }) };
      const { prepare, process } = proposalRequest(height, offered);
      const prepared = chain.app.prepareProposal(prepare);
      proposedTxs += prepared.txs.length;
      const verdict = chain.app.processProposal({ ...process, txs: prepared.txs }).status;
      if (verdict !== ResponseProcessProposal_ProposalStatus.ACCEPT) failures.push(`ProcessProposal rejected the block PrepareProposal built (${prepared.txs.length} txs) at seed ${SEED}, height ${height}`);
      const rawVerdict = chain.app.processProposal(process).status;
      if (rawVerdict === ResponseProcessProposal_ProposalStatus.ACCEPT && prepared.txs.length !== offered.length) failures.push(`ProcessProposal accepted txs that PrepareProposal left out at height ${height}`);
      if (checkStateWrites(chain.app).join("\n") !== before.check) failures.push(`a proposal changed the check state at height ${height}`);
      const after = chain.app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" });
      if (after.lastBlockHeight !== before.info.lastBlockHeight || hex(after.lastBlockAppHash) !== hex(before.info.lastBlockAppHash)) failures.push(`a proposal changed committed state at height ${height}`);

      // FinalizeBlock: every tx gets a result; the accepted ones (if any) are the twin's block.
      let fin;
      try {
        fin = await chain.app.finalizeBlock(finalizeRequest(height, batch.map((t) => t.tx)));
      } catch (e) {
        throw new Error(`FinalizeBlock threw at seed ${SEED}, height ${height}: ${(e as Error).stack}\ntxs: ${batch.map((t) => hex(t.tx)).join(",")}`);
      }
      expect(fin.txResults).toHaveLength(n);
      const accepted = batch.filter((_, i) => fin.txResults[i].code === 0).map((t) => t.tx);
      for (const [i, t] of batch.entries()) {
        if (fin.txResults[i].code !== 0) continue;
        const same = pool.findIndex((p) => Buffer.compare(Buffer.from(p), Buffer.from(t.tx)) === 0);
        acceptedHow.push(`height ${height} tx ${i}: ${t.how}${same >= 0 ? ` (byte-identical to pool tx ${same})` : ` (new bytes ${hex(t.tx)})`}`);
      }
      blockAccepted += accepted.length;
      // CheckTx and FinalizeBlock judge a tx alike: with nothing accepted both ran on the same state.
      if (accepted.length === 0 && batchCheckAccepted === 0) {
        for (const [i, res] of fin.txResults.entries()) {
          if (`${res.codespace}/${res.code}` !== checkCodes[i]) failures.push(`CheckTx said ${checkCodes[i]}, FinalizeBlock ${res.codespace}/${res.code} (${res.log}) at ${where(i)}`);
        }
      }
      await chain.app.commit();
      const ref = await runBlock(twin.app, height, accepted);
      if (hex(fin.appHash) !== hex(ref.appHash)) failures.push(`app hash differs from the twin's at height ${height} (${accepted.length} accepted txs)`);
      for (const addr of watched) {
        const [x, y] = [await balance(chain.app, addr), await balance(twin.app, addr)];
        if (x !== y) failures.push(`balance of ${addr} is ${x}, twin has ${y}, height ${height}`);
        const [ax, ay] = [await account(chain.app, addr), await account(twin.app, addr)];
        const fmt = (acc: typeof ax): string => (acc ? `${acc.accountNumber}/${acc.sequence}/${acc.hasPubkey}` : "none");
        if (fmt(ax) !== fmt(ay)) failures.push(`account ${addr} is ${fmt(ax)}, twin has ${fmt(ay)}, height ${height}`);
      }
      // Signed bytes admit one encoding: an accepted tx is a pool tx reproduced exactly, never a variant of one.
      for (const h of acceptedHow) if (h.includes("new bytes")) failures.push(`malleability: a mutated tx with new bytes was accepted at ${h}`);
      expect(failures).toEqual([]);

      // Something was accepted: the pool's sequences moved on, so sign a fresh pool.
      if (accepted.length > 0) pool = await makePool(r, chain.app, signers, addrs);
      done += n;
    }

    // With nothing accepted, state is exactly genesis + the setup block.
    if (blockAccepted === 0) {
      for (const [i, s] of signers.entries()) {
        expect(await account(chain.app, s.key.address)).toEqual({ accountNumber: BigInt(i), sequence: i < 2 ? 1n : 0n, hasPubkey: i < 2 });
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      [
        `fuzz: seed ${SEED}: ${TOTAL_TXS} txs, ${Number(height) - 2} blocks, ${seconds.toFixed(1)} s`,
        `proposals: ${proposedTxs} txs proposed and accepted`,
        `accepted: ${checkAccepted} by CheckTx, ${blockAccepted} in blocks${acceptedHow.map((h) => `\n  ${h}`).join("")}`,
        `mutations: ${[...byMutator].map(([k, v]) => `${k} ${v}`).join(", ")}`,
        `CheckTx codes: ${[...codes].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ×${v}`).join(", ")}`,
      ].join("\n"),
    );
    // Decoding, signature and ante checks all got exercised, not just the parser.
    for (const pair of ["sdk/2", "tx/2", "tx/5", "tx/3", "sdk/4"]) expect({ pair, seen: (codes.get(pair) ?? 0) > 0 }).toEqual({ pair, seen: true });
    expect(proposedTxs).toBeGreaterThan(0);
  }, 600_000);
});
