/**
 * The CPU fast path's GEMM against the TypeScript twin on the shapes of the A3C nets, side by
 * side: C[m,n] = A[m,k]·B[k,n] in float32, GFLOP/s (2·m·n·k flops) of the twin `matmul` and
 * of `gemm` (the WebAssembly SIMD kernel), the two timed in alternating rounds, median of the
 * rounds (the machine may be shared). Run: `deno task bench gemm`.
 *
 * @module
 */

import { gemm, gemmBackend } from "../nn/gemm.ts";
import { matmul, type MatmulFn } from "../nn/linear.ts";
import type { BenchRow } from "./row.ts";

/** The (m, n, k) shapes measured by default, with what each is in the nets. */
export const GEMM_SHAPES: readonly (readonly [number, number, number, string])[] = [
  [32, 256, 2592, "fc of the FF net, B=32"],
  [3200, 16, 256, "conv1 as im2col, B=8"],
  [648, 32, 256, "conv2 as im2col, B=8"],
  [512, 512, 512, "square"],
];

function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** GFLOP/s of `mm` on one shape, timed for about `ms` milliseconds. */
function gflops(
  mm: MatmulFn,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  shape: number[],
  ms: number,
) {
  const [m, n, k] = shape;
  let reps = 0;
  const t0 = performance.now();
  do {
    mm(a, b, c, m, n, k);
    reps++;
  } while (performance.now() - t0 < ms);
  return (2 * m * n * k * reps) / ((performance.now() - t0) * 1e6);
}

/**
 * Measures the twin and the fast path on each shape: `rounds` rounds of ~`ms` ms each,
 * alternating, after a warm-up past V8's baseline tiers; one row per (shape, code), the
 * median of its rounds.
 */
export function benchGemm(
  opts: {
    shapes?: readonly (readonly [number, number, number, string?])[];
    rounds?: number;
    ms?: number;
  } = {},
): BenchRow[] {
  const { shapes = GEMM_SHAPES, rounds = 5, ms = 200 } = opts;
  const rows: BenchRow[] = [];
  const fast = `gemm (${gemmBackend()})`;
  for (const [m, n, k] of shapes) {
    const a = randomFloats(m * k, 1);
    const b = randomFloats(k * n, 2);
    const c = new Float32Array(m * n);
    const codes: [string, MatmulFn][] = [["TS loop (twin matmul)", matmul], [fast, gemm]];
    const got = codes.map(() => [] as number[]);
    for (const [, mm] of codes) gflops(mm, a, b, c, [m, n, k], ms); // warm-up
    for (let r = 0; r < rounds; r++) {
      codes.forEach(([, mm], i) => got[i].push(gflops(mm, a, b, c, [m, n, k], ms)));
    }
    codes.forEach(([name], i) =>
      rows.push({
        group: "gemm",
        name,
        backend: "cpu",
        shape: `${m}x${n}x${k}`,
        value: median(got[i]),
        unit: "GFLOP/s",
      })
    );
  }
  return rows;
}
