/**
 * The CPU fast path's GEMM against the TypeScript twin on the shapes of the A3C nets, side by
 * side: C[m,n] = A[m,k]·B[k,n] in float32, GFLOP/s (2·m·n·k flops) of the twin `matmul` and
 * of `gemm` (the WebAssembly SIMD kernel), the two timed in alternating rounds, median of the
 * rounds (the machine may be shared), per wall second and, on Linux, per CPU second of the
 * thread (GFLOP/CPU-s: what a free core gives). Run: `deno task bench gemm`.
 *
 * @module
 */

import { gemm, type GemmBackend, gemmBackend, setGemmBackend } from "../nn/gemm.ts";
import { matmul, type MatmulFn } from "../nn/linear.ts";
import { randomFloats } from "./matmul.ts";
import type { BenchRow } from "./row.ts";

/** The (m, n, k) shapes measured by default, with what each is in the nets. */
export const GEMM_SHAPES: readonly (readonly [number, number, number, string])[] = [
  [32, 256, 2592, "fc of the FF net, B=32"],
  [3200, 16, 256, "conv1 as im2col, B=8"],
  [648, 32, 256, "conv2 as im2col, B=8"],
  [512, 512, 512, "square"],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * CPU milliseconds this thread has run (Linux: /proc/thread-self/stat, 10 ms ticks), or
 * undefined where that cannot be read.
 */
function threadCpuMs(): number | undefined {
  try {
    const f = Deno.readTextFileSync("/proc/thread-self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * GFLOP/s of `mm` on one shape, timed for about `ms` milliseconds: per wall second and, where
 * the thread's CPU time can be read, per CPU second (what a free core would give).
 */
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
  const c0 = threadCpuMs();
  const t0 = performance.now();
  do {
    mm({ a, b, c, m, n, k });
    reps++;
  } while (performance.now() - t0 < ms);
  const wall = performance.now() - t0;
  const c1 = threadCpuMs();
  const flops = 2 * m * n * k * reps;
  const cpu = c0 !== undefined && c1 !== undefined && c1 > c0 ? c1 - c0 : undefined;
  return { wall: flops / (wall * 1e6), cpu: cpu === undefined ? undefined : flops / (cpu * 1e6) };
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
  const { shapes = GEMM_SHAPES, rounds = 5, ms = 300 } = opts;
  const rows: BenchRow[] = [];
  const best = gemmBackend();
  // The best module, and the plain-SIMD one when the best is relaxed SIMD.
  const forcedRun = (backend: GemmBackend): MatmulFn => (args) => {
    setGemmBackend(backend);
    try {
      gemm(args);
    } finally {
      setGemmBackend(undefined);
    }
  };
  for (const [m, n, k] of shapes) {
    const a = randomFloats(m * k, 1);
    const b = randomFloats(k * n, 2);
    const c = new Float32Array(m * n);
    const codes: [string, MatmulFn][] = [
      ["TS loop (twin matmul)", matmul],
      ...(best === "wasm-relaxed-simd"
        ? [["gemm (wasm-simd)", forcedRun("wasm-simd")] as [string, MatmulFn]]
        : []),
      [`gemm (${best})`, gemm],
    ];
    const got = codes.map(() => [] as number[]);
    const perCpu = codes.map(() => [] as number[]);
    for (const [, mm] of codes) gflops(mm, a, b, c, [m, n, k], ms); // warm-up
    for (let r = 0; r < rounds; r++) {
      codes.forEach(([, mm], i) => {
        const g = gflops(mm, a, b, c, [m, n, k], ms);
        got[i].push(g.wall);
        if (g.cpu !== undefined) perCpu[i].push(g.cpu);
      });
    }
    codes.forEach(([name], i) => {
      const shape = `${m}x${n}x${k}`;
      rows.push({
        group: "gemm",
        name,
        backend: "cpu",
        shape,
        value: median(got[i]),
        unit: "GFLOP/s",
      });
      if (perCpu[i].length === rounds) {
        const unit = "GFLOP/CPU-s";
        rows.push({ group: "gemm", name, backend: "cpu", shape, value: median(perCpu[i]), unit });
      }
    });
  }
  return rows;
}
