/**
 * A2C end to end: env-steps per second of whole training iterations (rollout of T steps of N
 * envs, GAE, forward + backward on the T·N batch, optimizer step) on the GPU and on the CPU
 * twins (on the WebAssembly GEMM, and forced onto the TypeScript matmul: rows "… (TS twin)"),
 * for the same config. Run: `deno task bench a2c`.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import type { A2cRunner } from "../algos/a2c/common.ts";
import { type A2cConfig, resolveA2cConfig } from "../algos/a2c/config.ts";
import { makeA2cCpu } from "../algos/a2c/cpu.ts";
import { makeA2cGpu } from "../algos/a2c/gpu.ts";
import { ENV_NAMES } from "../envs/registry.ts";
import { setGemmBackend } from "../nn/gemm.ts";
import type { BenchRow } from "./row.ts";

/** One end-to-end case: an env, its net and a number of envs N. */
export interface A2cBenchCase {
  /** Env name. */
  readonly env: string;
  /** Network: mlp, ff or lstm. */
  readonly net: A2cConfig["net"];
  /** Envs in lockstep. */
  readonly numEnvs: number;
  /** Env options (e.g. Pong's `frameSize: 42, frameStack: 1` for the LSTM net). */
  readonly envOptions?: Record<string, number>;
  /** Timed iterations on the GPU for this case (default: the call's); the CPU runs ¼. */
  readonly iterations?: number;
}

async function stepsPerSecond(runner: A2cRunner, config: A2cConfig, iterations: number) {
  runner.iterate(); // warm-up (pipelines are compiled when recorded)
  await runner.report();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) runner.iterate();
  await runner.report(); // waits for the GPU to finish the queued iterations
  const seconds = (performance.now() - t0) / 1000;
  return (iterations * config.numEnvs * config.rolloutSteps) / seconds;
}

/**
 * Measures A2C env-steps/s for each case: on the CPU (when `cpu` is set) and on the GPU
 * (when `gpu` is given), `iterations` iterations of T = 5 each.
 */
export async function benchA2c(
  opts: { gpu?: Gpu; cpu: boolean; cases: A2cBenchCase[]; iterations: number },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of opts.cases) {
    if (!ENV_NAMES.includes(c.env)) continue;
    const config = resolveA2cConfig({
      env: c.env,
      net: c.net,
      numEnvs: c.numEnvs,
      envOptions: c.envOptions ?? {},
      rolloutSteps: 5,
      totalSteps: 1e9, // far beyond the timed iterations (the lr barely anneals)
      seed: 1,
    });
    const name = `${c.env} ${c.net}`;
    const iterations = c.iterations ?? opts.iterations;
    const shape = `N=${c.numEnvs} T=5`;
    const unit = "env-steps/s";
    if (opts.cpu) {
      // The CPU backend on its WebAssembly fast path, then forced onto the TypeScript twin.
      for (const twin of [false, true]) {
        if (twin) setGemmBackend("ts");
        try {
          const runner = makeA2cCpu(config);
          const value = await stepsPerSecond(runner, config, Math.max(1, iterations >> 2));
          const label = twin ? `${name} (TS twin)` : name;
          rows.push({ group: "a2c", name: label, backend: "cpu", shape, value, unit });
        } finally {
          setGemmBackend(undefined);
        }
      }
    }
    if (opts.gpu) {
      const runner = await makeA2cGpu(config, opts.gpu);
      const value = await stepsPerSecond(runner, config, iterations);
      runner.dispose();
      rows.push({ group: "a2c", name, backend: "webgpu", shape, value, unit });
    }
  }
  return rows;
}
