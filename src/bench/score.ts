/**
 * Time to score: wall time and env steps until the mean return of the last 100 episodes
 * reaches a stated return, per env and backend (the measure of the A3C paper's Table 2 and
 * figures: score against training time). Each case trains from scratch with its preset; a run
 * that does not reach the return within its budget is reported as such, with the budget.
 * Run: `deno task bench score` (minutes to an hour: Pong is in it).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { type A2cConfig, resolveA2cConfig } from "../algos/a2c/config.ts";
import { makeA2cCpu } from "../algos/a2c/cpu.ts";
import { makeA2cGpu } from "../algos/a2c/gpu.ts";
import { trainA2c } from "../algos/a2c/train.ts";
import type { BenchRow } from "./row.ts";

/** One time-to-score case: an A2C config (over the env's preset) and the return to reach. */
export interface ScoreCase {
  /** A label, e.g. "pong 42x42". */
  readonly name: string;
  /** Config overrides over the env's preset (must name the env). */
  readonly config: Partial<A2cConfig> & { env: string };
  /** The mean return of the last 100 episodes to reach. */
  readonly target: number;
}

/** The default cases: Catch, CartPole, and Pong at 42×42 with its CPU preset. */
export const SCORE_CASES: readonly ScoreCase[] = [
  { name: "catch", config: { env: "catch" }, target: 0.8 },
  { name: "cartpole", config: { env: "cartpole", totalSteps: 400_000 }, target: 475 },
  { name: "pong 42x42", config: { env: "pong", envOptions: { frameSize: 42 } }, target: 18 },
];

/**
 * Trains each case on the CPU (when `cpu`) and on `gpu` (when given) and returns two rows a
 * case and backend: seconds and env steps to the target. A run that stops at its budget first
 * gets rows named "… not reached" whose values are the budget's seconds and steps.
 */
export async function benchScore(
  opts: { gpu?: Gpu; cpu: boolean; cases?: readonly ScoreCase[]; seed?: number },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const backends: ("cpu" | "webgpu")[] = [
    ...(opts.cpu ? ["cpu" as const] : []),
    ...(opts.gpu ? ["webgpu" as const] : []),
  ];
  for (const c of opts.cases ?? SCORE_CASES) {
    for (const backend of backends) {
      const overrides = { ...c.config, backend, seed: opts.seed ?? 1 };
      const config = resolveA2cConfig(overrides);
      const built = opts.gpu && backend === "webgpu"
        ? { runner: await makeA2cGpu(config, opts.gpu), backend: { backend, gpu: opts.gpu } }
        : { runner: makeA2cCpu(config), backend: { backend } };
      const reason = "the benchmark's backend";
      const result = await trainA2c(overrides, {}, c.target, {
        runner: built.runner,
        backend: { ...built.backend, reason },
      });
      result.runner.dispose();
      const reached = result.stopReason === "target";
      const name = `${c.name} to ${c.target}${reached ? "" : " not reached"}`;
      const shape = `N=${result.config.numEnvs} T=${result.config.rolloutSteps}`;
      const { wallSeconds, steps } = result.last;
      rows.push({ group: "score", name, backend, shape, value: wallSeconds, unit: "s" });
      rows.push({ group: "score", name, backend, shape, value: steps, unit: "env-steps" });
    }
  }
  return rows;
}
