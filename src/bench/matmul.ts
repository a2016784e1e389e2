/**
 * Matmul throughput: the WGSL kernels (both paths, timed with `timePlan`) and the TypeScript
 * twin (wall time), on square fp32 products C[s,s] = A[s,s]·B[s,s], in GFLOP/s (2·s³ flops).
 *
 * Run: `deno task bench matmul`. On a software adapter (llvmpipe) sizes stay ≤ 512.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { createStorageBuffer } from "../gpu/buffers.ts";
import { timePlan } from "../gpu/timing.ts";
import { matmul } from "../nn/linear.ts";
import { chooseMatmulPath, type MatmulPath, recordMatmul } from "../nn/linear_gpu.ts";

import type { BenchRow } from "./row.ts";
export type { BenchRow };

/** `n` floats in [−0.5, 0.5) from a seeded LCG (benchmark inputs: fast, not statistical). */
export function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const gflops = (s: number, ms: number) => (2 * s * s * s) / (ms * 1e6);

/**
 * Measures square matmuls of each size in `sizes` on the GPU (when `gpu` is given; both
 * kernels, and which one the recorder picks by default is named) and of each of `cpuSizes`
 * (default: the sizes up to 512) on the CPU twin.
 */
export async function benchMatmul(
  opts: { gpu?: Gpu; sizes: number[]; cpuSizes?: number[]; repeats?: number },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { gpu, sizes } = opts;
  if (gpu) {
    for (const s of sizes) {
      const a = createStorageBuffer(gpu, randomFloats(s * s, 1), "bench a");
      const b = createStorageBuffer(gpu, randomFloats(s * s, 2), "bench b");
      const c = createStorageBuffer(gpu, s * s * 4, "bench c");
      // Fewer repeats for long problems: ~0.1 s of work at 20 TFLOP/s; 2 on a software adapter.
      const repeats = opts.repeats ??
        (gpu.isFallback ? 2 : Math.max(3, Math.min(50, Math.round(2e12 / (2 * s ** 3)))));
      for (const path of ["small", "big"] as MatmulPath[]) {
        const plan = await recordMatmul(gpu, { a, b, c, m: s, n: s, k: s, path });
        const t = await timePlan(gpu, plan, repeats, 1);
        const chosen = chooseMatmulPath(s, s, s) === path ? " (default)" : "";
        rows.push({
          group: "matmul",
          name: `A·B ${path} kernel${chosen}`,
          backend: "webgpu",
          shape: `${s}x${s}x${s}`,
          value: gflops(s, t.gpuMs ?? t.wallMs),
          unit: "GFLOP/s",
        });
      }
      a.destroy();
      b.destroy();
      c.destroy();
    }
  }
  for (const s of opts.cpuSizes ?? sizes.filter((x) => x <= 512)) {
    const a = randomFloats(s * s, 1);
    const b = randomFloats(s * s, 2);
    const c = new Float32Array(s * s);
    for (const [label, transB] of [["A·B", false], ["A·Bᵀ", true]] as const) {
      matmul({ a, b, c, m: s, n: s, k: s, transB }); // warm up the JIT
      let reps = 0;
      const t0 = performance.now();
      do {
        matmul({ a, b, c, m: s, n: s, k: s, transB });
        reps++;
      } while (performance.now() - t0 < 300);
      const ms = (performance.now() - t0) / reps;
      rows.push({
        group: "matmul",
        name: `${label} twin`,
        backend: "cpu",
        shape: `${s}x${s}x${s}`,
        value: gflops(s, ms),
        unit: "GFLOP/s",
      });
    }
  }
  return rows;
}
