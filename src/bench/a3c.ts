/**
 * The asynchronous methods' scaling: global steps per second of A3C (or another method) on
 * CPU workers for W = 1, 2, 4, … workers, each W measured over a steady window after a
 * warm-up that covers the workers' start, with the speedup over W = 1, on Catch, CartPole and
 * Pong with the CPU preset's settings (42×42×4 frames, the FF net, tMax 20). Run:
 * `deno task bench a3c`.
 *
 * @module
 */

import { type AsyncAlgo, type AsyncOverrides, pongCpuPreset } from "../algos/async/config.ts";
import { trainAsync } from "../algos/async/coordinator.ts";
import type { BenchRow } from "./row.ts";

/** One env of the group: its row name and the config fields that set it up. */
export interface A3cBenchEnv {
  /** The row name after the method's ("a3c pong 42x42"). */
  readonly name: string;
  /** Config fields: the env and whatever it needs (frames, net). */
  readonly config: AsyncOverrides;
}

/**
 * Catch, CartPole, and Pong with the CPU preset (its frames, frame skip, net and tMax; the
 * workers, budget and lr schedule are the benchmark's).
 */
export const A3C_BENCH_ENVS: readonly A3cBenchEnv[] = [
  { name: "catch", config: { env: "catch" } },
  { name: "cartpole", config: { env: "cartpole" } },
  { name: "pong 42x42", config: pongCpuPreset(1) },
];

/**
 * Runs `algo` with `config` on `workers` workers for `warmup + seconds` seconds (stopped by the
 * `shouldStop` hook) and returns the global steps and seconds of the last `seconds`.
 */
export async function measureAsync(
  algo: AsyncAlgo,
  config: AsyncOverrides,
  workers: number,
  seconds: number,
  warmup = 1,
): Promise<{ steps: number; seconds: number }> {
  let started = 0;
  let t0 = 0;
  let s0 = 0;
  let t1 = 0;
  let s1 = 0;
  await trainAsync({
    ...config,
    algo,
    workers,
    totalSteps: 2_000_000_000,
    logEvery: 1,
    annealLr: false,
  }, {
    handleSigint: false,
    pollMs: 10,
    onLog(r) {
      const now = performance.now();
      if (started === 0 && r.globalSteps > 0) started = now;
      if (started && t0 === 0 && now - started >= warmup * 1000) {
        t0 = now;
        s0 = r.globalSteps;
      }
      if (t0) {
        t1 = now;
        s1 = r.globalSteps;
      }
    },
    shouldStop: () => t0 !== 0 && performance.now() - t0 >= seconds * 1000,
  });
  return { steps: s1 - s0, seconds: (t1 - t0) / 1000 };
}

/** Options of {@link benchA3c}. */
export interface A3cBenchOptions {
  /** Worker counts W to measure, the first being the baseline (1). */
  readonly workers: readonly number[];
  /** The method (default a3c). */
  readonly algo?: AsyncAlgo;
  /** The envs, each measured for every W (default {@link A3C_BENCH_ENVS}). */
  readonly envs?: readonly A3cBenchEnv[];
  /** Measured seconds per W (default 3). */
  readonly seconds?: number;
}

/**
 * For each env, global steps/s for each worker count (unit "global steps/s", shape "W=<w>") and the
 * speedup over the first count (unit "× over W=<first>"); CPU rows only.
 */
export async function benchA3c(options: A3cBenchOptions): Promise<BenchRow[]> {
  const algo = options.algo ?? "a3c";
  const rows: BenchRow[] = [];
  for (const env of options.envs ?? A3C_BENCH_ENVS) {
    const name = `${algo} ${env.name}`;
    let base = 0;
    for (const w of options.workers) {
      const m = await measureAsync(algo, env.config, w, options.seconds ?? 3);
      const value = m.steps / m.seconds;
      base ||= value;
      const row = { group: "a3c", backend: "cpu" as const, shape: `W=${w}` };
      rows.push({ ...row, name, value, unit: "global steps/s" });
      rows.push({
        ...row,
        name: `${name} speedup`,
        value: value / base,
        unit: `× over W=${options.workers[0]}`,
      });
    }
  }
  return rows;
}

/** The worker counts 1, 2, 4, 8, 16 up to `cores` (at least 1). */
export function workerCounts(cores: number): number[] {
  return [1, 2, 4, 8, 16].filter((w) => w === 1 || w <= cores);
}
