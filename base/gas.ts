/**
 * Deterministic gas. Every tx pays for its bytes, its signatures and each store access,
 * with the Cosmos SDK's default prices, so the same tx costs the same on every node.
 */
import { ErrOutOfGas } from "./errors";
import type { KVStore } from "./store/kv";

export const GasCosts = {
  txSizePerByte: 10n,
  sigVerifySecp256k1: 1000n,
  readFlat: 1000n,
  readPerByte: 3n,
  writeFlat: 2000n,
  writePerByte: 30n,
  has: 1000n,
  delete: 1000n,
  iterNextFlat: 30n,
} as const;

export class GasMeter {
  private used = 0n;
  /** `limit` undefined = infinite (genesis, block hooks, simulation). */
  constructor(readonly limit: bigint | undefined) {}

  get consumed(): bigint {
    return this.used;
  }

  consume(amount: bigint, descriptor: string): void {
    this.used += amount;
    if (this.limit !== undefined && this.used > this.limit) {
      throw ErrOutOfGas.wrap(`out of gas in location: ${descriptor}; gasWanted: ${this.limit}, gasUsed: ${this.used}`);
    }
  }
}

/** A store view that charges every access to a gas meter. */
export class GasKV implements KVStore {
  constructor(
    private readonly inner: KVStore,
    private readonly meter: GasMeter,
  ) {}

  get(key: string): Uint8Array | undefined {
    this.meter.consume(GasCosts.readFlat, "ReadFlat");
    const v = this.inner.get(key);
    this.meter.consume(GasCosts.readPerByte * BigInt(key.length + (v?.length ?? 0)), "ReadPerByte");
    return v;
  }
  has(key: string): boolean {
    this.meter.consume(GasCosts.has, "Has");
    return this.inner.has(key);
  }
  set(key: string, value: Uint8Array): void {
    this.meter.consume(GasCosts.writeFlat, "WriteFlat");
    this.meter.consume(GasCosts.writePerByte * BigInt(key.length + value.length), "WritePerByte");
    this.inner.set(key, value);
  }
  delete(key: string): void {
    this.meter.consume(GasCosts.delete, "Delete");
    this.inner.delete(key);
  }
  *iterate(prefix: string, reverse = false): IterableIterator<[string, Uint8Array]> {
    for (const [k, v] of this.inner.iterate(prefix, reverse)) {
      this.meter.consume(GasCosts.iterNextFlat + GasCosts.readPerByte * BigInt(k.length + v.length), "IterNext");
      yield [k, v];
    }
  }
}
