import { DeadlineScheduler, cannotRunReason, type Deadlined } from "./scheduler";

interface Item extends Deadlined {
  readonly name: string;
}
const item = (name: string, id: bigint, hard: bigint): Item => ({ name, job: { id, hardDeadlineHeight: hard } });

/** A run whose completion the test controls. */
function controlled(): { run: (i: Item) => Promise<void>; started: string[]; finish: (name: string) => Promise<void>; active: () => number } {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  let active = 0;
  let maxActive = 0;
  return {
    started,
    run: (i) =>
      new Promise<void>((r) => {
        started.push(i.name);
        active++;
        maxActive = Math.max(maxActive, active);
        pending.set(i.name, () => {
          active--;
          r();
        });
      }),
    finish: async (name) => {
      pending.get(name)!();
      await new Promise((r) => setImmediate(r));
    },
    active: () => maxActive,
  };
}

describe("sidecar scheduler", () => {
  test("runs at most max-concurrent jobs at once, and takes the waiting ones by earliest hard deadline", async () => {
    const c = controlled();
    const s = new DeadlineScheduler<Item>(2, c.run);
    s.push(item("late", 1n, 90n));
    s.push(item("later", 2n, 95n));
    // Both slots taken; these wait and must run by deadline, not arrival.
    s.push(item("d60", 3n, 60n));
    s.push(item("d40", 4n, 40n));
    s.push(item("d40b", 5n, 40n));
    expect(c.started).toEqual(["late", "later"]);
    expect(s.running).toBe(2);
    expect(s.waitingCount).toBe(3);
    await c.finish("late");
    expect(c.started).toEqual(["late", "later", "d40"]);
    await c.finish("later");
    expect(c.started).toEqual(["late", "later", "d40", "d40b"]);
    await c.finish("d40");
    await c.finish("d40b");
    expect(c.started).toEqual(["late", "later", "d40", "d40b", "d60"]);
    const idle = s.idle();
    await c.finish("d60");
    await idle;
    expect(c.active()).toBe(2);
  });

  test("one at a time with max-concurrent 1; a failing run frees its slot", async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const s = new DeadlineScheduler<Item>(
      1,
      async (i) => {
        seen.push(i.name);
        if (i.name === "bad") throw new Error("boom");
      },
      (i, e) => errors.push(`${i.name}: ${(e as Error).message}`),
    );
    s.push(item("bad", 1n, 10n));
    s.push(item("b", 3n, 30n));
    s.push(item("a", 2n, 20n));
    await s.idle();
    expect(seen).toEqual(["bad", "a", "b"]);
    expect(errors).toEqual(["bad: boom"]);
  });

  test("max-concurrent must be 1..256", () => {
    expect(() => new DeadlineScheduler<Item>(0, async () => undefined)).toThrow(/1\.\.256/);
    expect(() => new DeadlineScheduler<Item>(1.5, async () => undefined)).toThrow(/1\.\.256/);
  });

  test("a cannot-run reason fits the chain's 256-byte limit, cut on a character boundary", () => {
    expect(cannotRunReason(new Error("Non-zero status code returned while running Gemm node"))).toBe("Non-zero status code returned while running Gemm node");
    const long = cannotRunReason(new Error("é".repeat(300)));
    expect(new TextEncoder().encode(long).length).toBe(256);
    expect(long).toBe("é".repeat(128));
    expect(cannotRunReason(new Error("  \n "))).toBe("cannot run");
  });
});
