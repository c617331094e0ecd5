/**
 * One key sending a stream of transactions without waiting for each to land: a single queue
 * signs them one at a time with a locally kept account sequence and broadcasts each with
 * `broadcast_tx_sync` (CheckTx only), so tx n+1 can enter the mempool while tx n waits for
 * its block. CheckTx bumps the sequence in the node's check state, so consecutive sequences
 * are accepted in order.
 *
 * When the node answers "account sequence mismatch, expected N" (sdk 32 for a stale
 * sequence, tx 4 for one ahead of the account, e.g. after a tx of ours was dropped from the
 * mempool, or the key was used elsewhere) the queue takes N, re-signs and retries.
 */
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import type { EncodeObject, OfflineDirectSigner, Registry } from "@cosmjs/proto-signing";
import { accountFromAny, GasPrice, QueryClient, SigningStargateClient, calculateFee, setupAuthExtension, setupTxExtension, type AuthExtension, type StdFee, type TxExtension } from "@cosmjs/stargate";
import type { CometClient } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { broadcastTxSync } from "./broadcast";
import { inferchainRegistry } from "./registry";

export class TxRejectedError extends Error {
  constructor(
    readonly code: number,
    readonly codespace: string,
    readonly log: string,
  ) {
    super(`tx rejected (${codespace} ${code}): ${log}`);
    this.name = "TxRejectedError";
  }
}

export interface SignerQueueOptions {
  /** http://host:port of CometBFT's RPC (broadcasts go there as plain JSON-RPC: see broadcast.ts). */
  readonly rpcUrl: string;
  readonly comet: CometClient;
  readonly signer: OfflineDirectSigner;
  readonly gasPrice: GasPrice;
  /** Checked against the node's chain id when given. */
  readonly chainId?: string;
  readonly registry?: Registry;
  /** Re-signs after a sequence mismatch at most this many times per tx (default 3). */
  readonly maxSequenceRetries?: number;
}

export interface Broadcasted {
  /** Upper-case hex, as CometBFT and CosmJS print it. */
  readonly txhash: string;
  readonly sequence: bigint;
  readonly fee: StdFee;
}

const SEQUENCE_MISMATCH = /account sequence mismatch, expected ([0-9]+)/;

/** The sequence the node expects, from a mismatch error's log; undefined for other errors. */
export function expectedSequence(log: string): bigint | undefined {
  const m = SEQUENCE_MISMATCH.exec(log);
  return m ? BigInt(m[1]) : undefined;
}

export class SignerQueue {
  private sequence: bigint | undefined;
  private accountNumber: bigint | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly address: string,
    readonly chainId: string,
    private readonly pubkey: Uint8Array,
    private readonly o: SignerQueueOptions,
    private readonly signing: SigningStargateClient,
    private readonly query: QueryClient & AuthExtension & TxExtension,
  ) {}

  static async create(o: SignerQueueOptions): Promise<SignerQueue> {
    const [account] = await o.signer.getAccounts();
    if (!account) throw new Error("signer has no accounts");
    const status = await o.comet.status();
    const chainId = status.nodeInfo.network;
    if (o.chainId && o.chainId !== chainId) throw new Error(`chain id ${o.chainId} does not match the node's chain ${chainId}`);
    const signing = await SigningStargateClient.offline(o.signer, { registry: o.registry ?? inferchainRegistry() });
    const query = QueryClient.withExtensions(o.comet, setupAuthExtension, setupTxExtension);
    return new SignerQueue(account.address, chainId, account.pubkey, o, signing, query);
  }

  /** Runs `f` after every earlier queued call has settled: one tx at a time. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.tail.then(f, f);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The account's number and next sequence as the chain has them (throws if the account does not exist). */
  async refresh(): Promise<void> {
    const any = await this.query.auth.account(this.address).catch(() => null);
    if (!any) throw new Error(`account ${this.address} not found on chain: fund it first (inferd tx bank send <funded key> ${this.address} 100000000uinf)`);
    const acc = accountFromAny(any);
    this.accountNumber = BigInt(acc.accountNumber);
    this.sequence = BigInt(acc.sequence);
  }

  /**
   * Gas the messages use, simulated at the queue's next sequence. The node simulates on its last
   * committed state, where that sequence is ahead of the account's while txs of ours wait in its
   * mempool ("account sequence mismatch, expected N"): the simulation is then run again at N
   * (the gas does not depend on the sequence), and the queue keeps its own for the real tx.
   */
  simulate(messages: readonly EncodeObject[], memo = ""): Promise<number> {
    return this.serial(async () => {
      if (this.sequence === undefined) await this.refresh();
      const anys = messages.map((m) => this.signing.registry.encodeAsAny(m));
      const pubkey = encodeSecp256k1Pubkey(this.pubkey);
      let sequence = this.sequence!;
      for (;;) {
        let r;
        try {
          r = await this.query.tx.simulate(anys, memo, pubkey, Number(sequence));
        } catch (e) {
          const expected = expectedSequence((e as Error).message ?? "");
          if (expected === undefined || expected >= sequence) throw e;
          sequence = expected;
          continue;
        }
        if (!r.gasInfo) throw new Error("simulation returned no gas info");
        return Number(r.gasInfo.gasUsed);
      }
    });
  }

  feeFor(gas: number): StdFee {
    return calculateFee(gas, this.o.gasPrice);
  }

  /**
   * Signs and broadcasts (CheckTx only); resolves with the hash once the node accepted it into
   * its mempool, rejects with a TxRejectedError when CheckTx refused it for another reason.
   */
  submit(messages: readonly EncodeObject[], gas: number, memo = ""): Promise<Broadcasted> {
    return this.serial(async () => {
      if (this.sequence === undefined || this.accountNumber === undefined) await this.refresh();
      const fee = this.feeFor(gas);
      for (let attempt = 0; ; attempt++) {
        const sequence = this.sequence!;
        const raw = await this.signing.sign(this.address, messages, fee, memo, {
          accountNumber: this.accountNumber!,
          sequence: Number(sequence),
          chainId: this.chainId,
        });
        const res = await broadcastTxSync(this.o.rpcUrl, TxRaw.encode(raw).finish());
        if (res.code === 0) {
          this.sequence = sequence + 1n;
          return { txhash: res.hash, sequence, fee };
        }
        const log = res.log;
        const expected = expectedSequence(log);
        if (expected !== undefined && attempt < (this.o.maxSequenceRetries ?? 3)) {
          this.sequence = expected;
          continue;
        }
        // A refused tx does not use its sequence (CheckTx failed before the bump).
        throw new TxRejectedError(res.code, res.codespace, log);
      }
    });
  }
}
