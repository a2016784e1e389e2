/**
 * A2C end to end: env-steps per second of whole training iterations (rollout of T steps of N
 * envs, GAE, forward + backward on the T·N batch, optimizer step) on the GPU and on the CPU
 * twins, for the same config. Run: `deno run -A bench/a2c.ts`.
 *
 * @module
 */

import { type Gpu, openGpu } from "../src/gpu/device.ts";
import type { A2cRunner } from "../src/algos/a2c/common.ts";
import { type A2cConfig, resolveA2cConfig } from "../src/algos/a2c/config.ts";
import { makeA2cCpu } from "../src/algos/a2c/cpu.ts";
import { makeA2cGpu } from "../src/algos/a2c/gpu.ts";
import { ENV_NAMES } from "../src/envs/registry.ts";
import type { BenchRow } from "./row.ts";

/** One end-to-end case: an env, its net and a number of envs N. */
export interface A2cBenchCase {
  /** Env name. */
  readonly env: string;
  /** Network: mlp, ff or lstm. */
  readonly net: A2cConfig["net"];
  /** Envs in lockstep. */
  readonly numEnvs: number;
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
      rolloutSteps: 5,
      totalSteps: 1e12,
      seed: 1,
    });
    const name = `${c.env} ${c.net}`;
    const shape = `N=${c.numEnvs} T=5`;
    const unit = "env-steps/s";
    if (opts.cpu) {
      const runner = makeA2cCpu(config);
      const value = await stepsPerSecond(runner, config, Math.max(1, opts.iterations >> 2));
      rows.push({ group: "a2c", name, backend: "cpu", shape, value, unit });
    }
    if (opts.gpu) {
      const runner = await makeA2cGpu(config, opts.gpu);
      const value = await stepsPerSecond(runner, config, opts.iterations);
      runner.dispose();
      rows.push({ group: "a2c", name, backend: "webgpu", shape, value, unit });
    }
  }
  return rows;
}

if (import.meta.main) {
  const gpu = (await openGpu()) ?? undefined;
  const big = gpu !== undefined && !gpu.isFallback;
  const rows = await benchA2c({
    gpu,
    cpu: true,
    iterations: big ? 50 : 10,
    cases: big
      ? [
        { env: "cartpole", net: "mlp", numEnvs: 4096 },
        { env: "pong", net: "ff", numEnvs: 64 },
        { env: "pong", net: "ff", numEnvs: 1024 },
      ]
      : [{ env: "catch", net: "mlp", numEnvs: 64 }, { env: "cartpole", net: "mlp", numEnvs: 256 }],
  });
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(14)} ${r.backend.padEnd(7)} ${r.shape.padEnd(12)} ${
        r.value.toFixed(0)
      } ${r.unit}`,
    );
  }
}
