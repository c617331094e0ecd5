/**
 * Exponential backoff with jitter for reconnecting to the node: the n-th consecutive failure
 * waits base·factor^n, capped, then drawn uniformly from [(1 − jitter)·d, d] so that many
 * sidecars that lost the same node do not come back in lockstep. `reset()` after a success.
 */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
  /** Fraction of the delay that is random, 0..1. */
  readonly jitter?: number;
  /** [0, 1); Math.random by default (tests pass their own). */
  readonly random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 500;
    this.maxMs = o.maxMs ?? 30_000;
    this.factor = o.factor ?? 2;
    this.jitter = o.jitter ?? 0.5;
    this.random = o.random ?? Math.random;
    if (!(this.initialMs > 0 && this.maxMs >= this.initialMs && this.factor >= 1 && this.jitter >= 0 && this.jitter <= 1)) {
      throw new RangeError("backoff: want 0 < initialMs ≤ maxMs, factor ≥ 1, 0 ≤ jitter ≤ 1");
    }
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next try, and counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures);
    this.failures++;
    return Math.round(ceiling * (1 - this.jitter * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
