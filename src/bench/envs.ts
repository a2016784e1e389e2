/**
 * Env throughput: env-steps per second of each env on the GPU (many steps recorded into one
 * submit, timed with `timePlan`) and on the CPU twin. Run: `deno task bench envs pong`.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { writeBuffer } from "../gpu/buffers.ts";
import type { Plan } from "../gpu/plan.ts";
import { timePlan } from "../gpu/timing.ts";
import { envSpec, makeCpuEnv, makeGpuEnv } from "../envs/registry.ts";
import { actionWords } from "../envs/gpu_env.ts";
import { makeRng } from "../util/rng.ts";
import { makePongGpu } from "../envs/pong.ts";

import type { BenchRow } from "./row.ts";
export type { BenchRow };

function randomActions(name: string, n: number, seed: number): Int32Array | Float32Array {
  const spec = envSpec(name);
  const rng = makeRng(seed, 1);
  const size = n * actionWords(spec);
  if (spec.action.kind === "discrete") {
    const k = spec.action.n;
    return Int32Array.from({ length: size }, () => rng.int(k));
  }
  const { low, high } = spec.action;
  return Float32Array.from({ length: size }, () => rng.uniform(low, high));
}

/**
 * Measures env-steps/s for every env in `names` and every number of copies in `sizes`:
 * `steps` steps per measurement on the CPU twin, and on the GPU (when `gpu` is given) the
 * step plan repeated `steps` times in one compute pass (fixed random actions).
 */
export async function benchEnvs(
  opts: { gpu?: Gpu; names: string[]; sizes: number[]; steps: number },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of opts.names) {
    for (const n of opts.sizes) {
      const actions = randomActions(name, n, 7);
      const cpu = makeCpuEnv(name, n);
      cpu.reset(1);
      cpu.step(actions); // warm-up
      const t0 = performance.now();
      for (let t = 0; t < opts.steps; t++) cpu.step(actions);
      const cpuSeconds = (performance.now() - t0) / 1000;
      rows.push({
        group: "envs",
        name,
        backend: "cpu",
        shape: `N=${n}`,
        value: (n * opts.steps) / cpuSeconds,
        unit: "env-steps/s",
      });
      if (opts.gpu) {
        const env = await makeGpuEnv(opts.gpu, name, n);
        await env.reset(1);
        writeBuffer(opts.gpu, env.buffers.actions, actions);
        const plan: Plan = env.stepPlan();
        const timing = await timePlan(opts.gpu, plan, opts.steps, 2);
        const ms = timing.gpuMs ?? timing.wallMs;
        rows.push({
          group: "envs",
          name,
          backend: "webgpu",
          shape: `N=${n}`,
          value: n / (ms / 1000),
          unit: "env-steps/s",
        });
      }
    }
  }
  return rows;
}
/**
 * Where Pong's GPU time goes: the physics kernel (`step`, k frames per copy) and the render
 * kernel (every obs word of the 4-frame stack) timed apart, as µs per agent step and the
 * render's write bandwidth, at each N in `sizes`.
 */
export async function benchPongKernels(
  gpu: Gpu,
  sizes: number[],
  steps: number,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    const env = await makePongGpu(gpu, n);
    await env.reset(1);
    writeBuffer(gpu, env.buffers.actions, randomActions("pong", n, 3));
    const shape = `N=${n}`;
    for (const [name, d] of [["step", env.stepDispatch], ["render", env.renderDispatch]] as const) {
      const t = await timePlan(gpu, [d], steps, 2);
      const ms = t.gpuMs ?? t.wallMs;
      rows.push({
        group: "pong kernels",
        name,
        backend: "webgpu",
        shape,
        value: ms * 1000,
        unit: "µs/step",
      });
      if (name === "render") {
        const bytes = n * 4 * 84 * 84;
        rows.push({
          group: "pong kernels",
          name: "render writes",
          backend: "webgpu",
          shape,
          value: bytes / (ms / 1000) / 1e9,
          unit: "GB/s",
        });
      }
    }
  }
  return rows;
}
