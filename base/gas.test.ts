import { AppError, ErrOutOfGas } from "./errors";
import { GasCosts, GasKV, GasMeter } from "./gas";
import { MemKV } from "./store/kv";

describe("gas", () => {
  test("store access is charged at the Cosmos SDK prices, deterministically", () => {
    const meter = new GasMeter(undefined);
    const kv = new GasKV(new MemKV(), meter);
    kv.set("ab", new Uint8Array(3));
    expect(meter.consumed).toBe(GasCosts.writeFlat + GasCosts.writePerByte * 5n);
    const before = meter.consumed;
    kv.get("ab");
    expect(meter.consumed - before).toBe(GasCosts.readFlat + GasCosts.readPerByte * 5n);
    const m2 = new GasMeter(undefined);
    const kv2 = new GasKV(new MemKV(), m2);
    kv2.set("ab", new Uint8Array(3));
    kv2.get("ab");
    expect(m2.consumed).toBe(meter.consumed);
  });

  test("exceeding the limit throws out of gas (sdk/11) with where and how much", () => {
    const meter = new GasMeter(1500n);
    meter.consume(1000n, "first");
    let err: unknown;
    try {
      meter.consume(501n, "second");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).is(ErrOutOfGas)).toBe(true);
    expect((err as AppError).message).toMatch(/second; gasWanted: 1500, gasUsed: 1501/);
  });
});
