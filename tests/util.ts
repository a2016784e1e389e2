/**
 * Test helpers: closeness assertions, finite-difference gradients, random data, and the GPU
 * (whatever adapter exists; Mesa's llvmpipe on CI).
 *
 * @module
 */

import { openGpu } from "../src/gpu/device.ts";
import type { Gpu } from "../src/gpu/device.ts";
import { makeRng } from "../src/util/rng.ts";
import type { Floats } from "../src/nn/types.ts";

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, reporting the worst
 * element, its index and both values.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-4, name = "value" }: { atol?: number; rtol?: number; name?: string } =
    {},
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${name}: length ${actual.length} != expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
      if (Number.isNaN(excess)) break;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${name}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** An array of `n` numbers uniform in [lo, hi) from `seed`. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const rng = makeRng(seed, 77);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

/**
 * Central finite-difference gradient of the scalar `loss()` with respect to every element
 * of `x` (perturbed in place and restored), in float64.
 */
export function numericGradient(loss: () => number, x: Floats, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + eps;
    const plus = loss();
    x[i] = saved - eps;
    const minus = loss();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}

/** Σ w[i]·y[i]: a random linear functional turns any output into a scalar loss for gradchecks. */
export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += w[i] * y[i];
  return s;
}

/** The GPU the GPU tests run on, or null when the machine has no WebGPU adapter at all. */
export const testGpu: Gpu | null = await openGpu();

/** `Deno.test` options for a GPU test: skipped (and said so) when no adapter exists. */
export function gpuTest(name: string, fn: (gpu: Gpu) => Promise<void>): void {
  Deno.test({
    name: `[webgpu] ${name}`,
    ignore: testGpu === null,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => fn(testGpu!),
  });
}
