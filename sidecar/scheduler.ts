/**
 * The sidecar's run queue: jobs wait in order of their hard deadline (earliest first, then job
 * id), and at most `maxConcurrent` run at once. Pure bookkeeping, no chain and no onnxruntime:
 * `Sidecar` feeds it and `run` does the work.
 */

/** What the queue orders by. */
export interface Deadlined {
  readonly job: { readonly id: bigint; readonly hardDeadlineHeight: bigint };
}

export const DEFAULT_MAX_CONCURRENT = 4;
export const MAX_MAX_CONCURRENT = 256;

/** Earliest hard deadline first; ties by job id. */
export function byDeadline(a: Deadlined, b: Deadlined): number {
  const d = a.job.hardDeadlineHeight - b.job.hardDeadlineHeight;
  if (d !== 0n) return d < 0n ? -1 : 1;
  const i = a.job.id - b.job.id;
  return i === 0n ? 0 : i < 0n ? -1 : 1;
}

export class DeadlineScheduler<T extends Deadlined> {
  private readonly waiting: T[] = [];
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly run: (item: T) => Promise<void>,
    /** Called when a `run` rejects (it should not; the sidecar catches its own errors). */
    private readonly onError: (item: T, e: unknown) => void = () => undefined,
    /** Called after every change of the queue length. */
    private readonly onDepth: (waiting: number) => void = () => undefined,
  ) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_MAX_CONCURRENT) {
      throw new Error(`max concurrent jobs must be an integer in 1..${MAX_MAX_CONCURRENT}, got ${maxConcurrent}`);
    }
  }

  get waitingCount(): number {
    return this.waiting.length;
  }
  get running(): number {
    return this.active;
  }

  /** Queues `item` in deadline order and starts work if a slot is free. */
  push(item: T): void {
    let i = this.waiting.length;
    while (i > 0 && byDeadline(this.waiting[i - 1], item) > 0) i--;
    this.waiting.splice(i, 0, item);
    this.onDepth(this.waiting.length);
    this.pump();
  }

  /** Drops every waiting item (running ones finish). */
  clear(): void {
    this.waiting.length = 0;
    this.onDepth(0);
  }

  /** Resolves when nothing runs and nothing waits (or, after `clear`, when nothing runs). */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.active < this.maxConcurrent && this.waiting.length > 0) {
      const item = this.waiting.shift()!;
      this.onDepth(this.waiting.length);
      this.active++;
      void this.run(item)
        .catch((e: unknown) => this.onError(item, e))
        .finally(() => {
          this.active--;
          this.pump();
          if (this.active === 0 && this.waiting.length === 0) {
            const w = this.idleWaiters;
            this.idleWaiters = [];
            for (const r of w) r();
          }
        });
    }
  }
}

/** A cannot-run reason: the error's message, cut to at most `maxBytes` bytes of UTF-8 on a character boundary. */
export function cannotRunReason(e: unknown, maxBytes = 256): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim() || "cannot run";
  const enc = new TextEncoder();
  if (enc.encode(text).length <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const ch of text) {
    const n = enc.encode(ch).length;
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}
