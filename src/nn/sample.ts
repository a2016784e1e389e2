/**
 * Action selection from logits: the TypeScript twin of `shaders/sample.wgsl`.
 *
 * {@link sampleCategorical} draws action b from softmax(logits[b]) by inverse CDF with the
 * counter-based RNG: `u = randUnit(seed, b + streamOffset, counter)`. It repeats the kernel's
 * f32 arithmetic in the kernel's order (`Math.fround` after every operation), so it agrees
 * with the GPU exactly except where `u·s` lies within the few-ulp difference between the GPU's
 * `exp` and `Math.exp` of a CDF boundary (about 1 row in 10⁵). {@link greedyActions} takes the
 * argmax with ties to the lowest index. The counter is a number here; on the GPU it lives in
 * a u32 buffer that `advance` increments (see `sample_gpu.ts`).
 *
 * @module
 */

import { randUnit } from "../util/rng.ts";
import { checkPositiveInt, checkShape, type Floats } from "./types.ts";

const f = Math.fround;

/** Throws a RangeError naming the kernel and field unless `value` is an integer in [0, 2³²). */
export function checkU32(kernel: string, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${kernel}: ${field} must be an integer in [0, 2^32), got ${value}`);
  }
}

/** Inputs and output of {@link sampleCategorical}. */
export interface SampleArgs {
  /** Logits, [B, A] (read as f32). */
  logits: Floats;
  /** Output: sampled actions, [B], each in [0, A). */
  actions: Int32Array;
  /** Batch rows. */
  B: number;
  /** Actions per row. */
  A: number;
  /** RNG seed (u32). */
  seed: number;
  /** The step counter (u32): the value the GPU reads from its counter buffer. */
  counter: number;
  /** Added to the row index to form the RNG stream (u32). Default 0. */
  streamOffset?: number;
}

/** Checks B, A, the logits and actions shapes for `kernel`. */
function checkRows(kernel: string, logits: Floats, actions: Int32Array, B: number, A: number) {
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkShape(kernel, "logits", logits.length, [B, A]);
  checkShape(kernel, "actions", actions.length, [B]);
}

/**
 * Categorical sampling (kernel `sample.sample`): per row, m = max z (first index j_max),
 * s = Σ exp(z_j − m), threshold = u·s, action = first j whose running sum exceeds threshold
 * (j_max if rounding leaves none). All in f32, in the kernel's order.
 */
export function sampleCategorical(args: SampleArgs): void {
  const kernel = "sample.sample";
  const { logits, actions, B, A, seed, counter, streamOffset = 0 } = args;
  checkRows(kernel, logits, actions, B, A);
  checkU32(kernel, "seed", seed);
  checkU32(kernel, "counter", counter);
  checkU32(kernel, "streamOffset", streamOffset);
  for (let b = 0; b < B; b++) {
    const base = b * A;
    let m = f(logits[base]);
    let jMax = 0;
    for (let j = 1; j < A; j++) {
      const z = f(logits[base + j]);
      if (z > m) {
        m = z;
        jMax = j;
      }
    }
    let s = 0;
    for (let j = 0; j < A; j++) s = f(s + f(Math.exp(f(f(logits[base + j]) - m))));
    const u = randUnit(seed, (b + streamOffset) >>> 0, counter);
    const threshold = f(u * s);
    let action = jMax;
    let cdf = 0;
    for (let j = 0; j < A; j++) {
      cdf = f(cdf + f(Math.exp(f(f(logits[base + j]) - m))));
      if (threshold < cdf) {
        action = j;
        break;
      }
    }
    actions[b] = action;
  }
}

/** Inputs and output of {@link greedyActions}. */
export interface GreedyArgs {
  /** Logits or action values, [B, A]. */
  logits: Floats;
  /** Output: argmax per row, [B]. */
  actions: Int32Array;
  /** Batch rows. */
  B: number;
  /** Actions per row. */
  A: number;
}

/** Greedy selection (kernel `sample.greedy`): argmax per row, ties to the lowest index. */
export function greedyActions(args: GreedyArgs): void {
  const kernel = "sample.greedy";
  const { logits, actions, B, A } = args;
  checkRows(kernel, logits, actions, B, A);
  for (let b = 0; b < B; b++) {
    const base = b * A;
    let best = logits[base];
    let action = 0;
    for (let j = 1; j < A; j++) {
      const z = logits[base + j];
      if (z > best) {
        best = z;
        action = j;
      }
    }
    actions[b] = action;
  }
}

/**
 * Softmax probabilities of each row of `logits` [B, A] into `probs` [B, A], in float64 (a
 * reference for frequency tests and logging).
 */
export function softmaxRows(logits: Floats, probs: Floats, B: number, A: number): void {
  const kernel = "softmax";
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkShape(kernel, "logits", logits.length, [B, A]);
  checkShape(kernel, "probs", probs.length, [B, A]);
  for (let b = 0; b < B; b++) {
    const base = b * A;
    let m = logits[base];
    for (let j = 1; j < A; j++) m = Math.max(m, logits[base + j]);
    let s = 0;
    for (let j = 0; j < A; j++) s += Math.exp(logits[base + j] - m);
    for (let j = 0; j < A; j++) probs[base + j] = Math.exp(logits[base + j] - m) / s;
  }
}
