/**
 * The divergence metrics (SPEC §4 "models"): does result `b` disagree with result `a` beyond
 * what floating-point differences between hardware explain? Integers only (bigint), so every
 * node reaches the same verdict. All four metrics first require the same structure: as many
 * tensors, with the same names and shapes, in the same order; otherwise the results diverge.
 *
 *   EXACT         equal canonical bytes (for canonical encodings: equal names, shapes, values)
 *   MAX_ABS_DIFF  max |a − b| over every element ≤ threshold
 *   MEAN_SQUARED  Σ (a − b)² over every element ≤ threshold × n  (n = number of elements)
 *   ARGMAX        each row (the last axis; a scalar is one row of one) has the same top-1
 *                 index, ties to the lowest index; an axis of size 0 has no rows
 *
 * Every metric is symmetric, and a result never diverges from itself.
 */
import type { MetricName } from "./types";
import type { QuantizedTensor } from "./tensor";

function sameStructure(a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.name !== y.name || x.shape.length !== y.shape.length || x.values.length !== y.values.length) return false;
    for (let j = 0; j < x.shape.length; j++) if (x.shape[j] !== y.shape[j]) return false;
  }
  return true;
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** max |a − b| over all elements (0 when there are none); assumes the same structure. */
export function maxAbsDiff(a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): bigint {
  let max = 0n;
  for (let i = 0; i < a.length; i++) {
    const x = a[i].values;
    const y = b[i].values;
    for (let k = 0; k < x.length; k++) {
      const d = abs(x[k] - y[k]);
      if (d > max) max = d;
    }
  }
  return max;
}

/** Σ (a − b)² and the element count; assumes the same structure. */
export function sumSquaredDiff(a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): { sum: bigint; n: bigint } {
  let sum = 0n;
  let n = 0n;
  for (let i = 0; i < a.length; i++) {
    const x = a[i].values;
    const y = b[i].values;
    for (let k = 0; k < x.length; k++) {
      const d = x[k] - y[k];
      sum += d * d;
    }
    n += BigInt(x.length);
  }
  return { sum, n };
}

/** The top-1 index of every row of the last axis, ties to the lowest index. */
export function argmaxRows(t: QuantizedTensor): number[] {
  const last = t.shape.length === 0 ? 1n : t.shape[t.shape.length - 1];
  const out: number[] = [];
  // A consistent tensor (shape product = value count) has no row longer than its values.
  if (last === 0n || last > BigInt(t.values.length)) return out;
  const rowLen = Number(last);
  for (let start = 0; start < t.values.length; start += rowLen) {
    let best = 0;
    for (let k = 1; k < rowLen; k++) if (t.values[start + k] > t.values[start + best]) best = k;
    out.push(best);
  }
  return out;
}

function sameArgmax(a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = argmaxRows(a[i]);
    const y = argmaxRows(b[i]);
    for (let r = 0; r < x.length; r++) if (x[r] !== y[r]) return false;
  }
  return true;
}

function sameValues(a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i].values;
    const y = b[i].values;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

/** True when `a` and `b` disagree under `metric` with `threshold` (quantized units). */
export function diverges(metric: MetricName, threshold: bigint, a: readonly QuantizedTensor[], b: readonly QuantizedTensor[]): boolean {
  if (!sameStructure(a, b)) return true;
  switch (metric) {
    case "EXACT":
      return !sameValues(a, b);
    case "MAX_ABS_DIFF":
      return maxAbsDiff(a, b) > threshold;
    case "MEAN_SQUARED": {
      const { sum, n } = sumSquaredDiff(a, b);
      return sum > threshold * n;
    }
    case "ARGMAX":
      return !sameArgmax(a, b);
  }
}
