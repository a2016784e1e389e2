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
import { type A3cConfig, pongCpuPreset } from "../algos/async/config.ts";
import { trainAsync } from "../algos/async/coordinator.ts";
import type { BenchRow } from "./row.ts";

/**
 * One time-to-score case: A2C (on each backend) or A3C (on the CPU's workers) with config
 * overrides over the env's preset, and the return to reach.
 */
export type ScoreCase =
  & {
    /** A label, e.g. "pong 42x42". */
    readonly name: string;
    /** The mean return of the last 100 episodes to reach. */
    readonly target: number;
  }
  & (
    | { readonly algo: "a2c"; readonly config: Partial<A2cConfig> & { env: string } }
    | { readonly algo: "a3c"; readonly config: Partial<A3cConfig> & { env: string } }
  );

/**
 * The default cases: Catch and CartPole with A2C; Pong with its CPU preset (A3C, a worker a
 * core, 42×42) on the CPU and with A2C's GPU preset (84×84, N 256) on a GPU.
 */
export const SCORE_CASES: readonly ScoreCase[] = [
  { name: "catch", algo: "a2c", config: { env: "catch" }, target: 0.8 },
  { name: "cartpole", algo: "a2c", config: { env: "cartpole", totalSteps: 400_000 }, target: 475 },
  {
    name: "pong 42x42 (A3C)",
    algo: "a3c",
    config: { ...pongCpuPreset(navigator.hardwareConcurrency), env: "pong" },
    target: 18,
  },
  { name: "pong 84x84 (A2C)", algo: "a2c", config: { env: "pong" }, target: 18 },
];

/**
 * Trains each case and returns two rows a case and backend: seconds and env steps to the
 * target. A2C cases run on the CPU (when `cpu`) and on `gpu` (when given); an A3C case runs on
 * the CPU's workers (when `cpu`); A2C on Pong runs on a GPU only (the CPU's Pong is A3C's). A
 * run that stops at its budget first gets rows named "… not reached" whose values are the
 * budget's seconds and steps.
 */
export async function benchScore(
  opts: { gpu?: Gpu; cpu: boolean; cases?: readonly ScoreCase[]; seed?: number },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const backends: ("cpu" | "webgpu")[] = [
    ...(opts.cpu ? ["cpu" as const] : []),
    ...(opts.gpu ? ["webgpu" as const] : []),
  ];
  const push =
    (c: ScoreCase, backend: "cpu" | "webgpu", reached: boolean, shape: string) =>
    (seconds: number, steps: number) => {
      const name = `${c.name} to ${c.target}${reached ? "" : " not reached"}`;
      rows.push({ group: "score", name, backend, shape, value: seconds, unit: "s" });
      rows.push({ group: "score", name, backend, shape, value: steps, unit: "env-steps" });
    };
  for (const c of opts.cases ?? SCORE_CASES) {
    if (c.algo === "a3c") {
      if (!opts.cpu) continue;
      const config = { ...c.config, seed: opts.seed ?? 1 };
      const result = await trainAsync(config, { targetReturn: c.target, handleSigint: false });
      const { wallSeconds, globalSteps } = result.last;
      const shape = `W=${result.config.workers}`;
      push(c, "cpu", result.stopReason === "target", shape)(wallSeconds, globalSteps);
      continue;
    }
    for (const backend of backends) {
      if (c.config.env === "pong" && backend === "cpu") continue;
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
      const shape = `N=${result.config.numEnvs} T=${result.config.rolloutSteps}`;
      push(c, backend, result.stopReason === "target", shape)(
        result.last.wallSeconds,
        result.last.steps,
      );
    }
  }
  return rows;
}
