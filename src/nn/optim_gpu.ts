/**
 * Records the optimizer step of `shaders/optim.wgsl` (twin: `optim.ts`): gradient norm in
 * two passes, the RMSProp or Adam update with clipping and the annealed learning rate, and
 * the step counter. Four dispatches; no readback (the norm and learning rate land in
 * `stats` for the caller to read at log intervals).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { createStorageBuffer, createUniformBuffer, ParamWriter, readU32 } from "../gpu/buffers.ts";
import { type Dispatch, grid1d, makeDispatch } from "../gpu/plan.ts";
import { checkOptimizerConfig, type OptimizerConfig } from "./optim.ts";
import { checkPositiveInt } from "./types.ts";

/** What {@link recordOptimizerStep} made: its dispatches and its state buffers. */
export interface GpuOptimizer {
  /** norm_partial, norm_final, update, advance. */
  readonly dispatches: Dispatch[];
  /** RMSProp g or Adam m, f32 [size]. */
  readonly first: GPUBuffer;
  /** Adam v, f32 [size] (one float for RMSProp). */
  readonly second: GPUBuffer;
  /** The step counter, u32 [1]. */
  readonly step: GPUBuffer;
  /** f32 [gradient norm before clipping, learning rate used, step]. */
  readonly stats: GPUBuffer;
  /** Reads the step counter (awaits the GPU). */
  readStep(): Promise<number>;
}

/** Records one optimizer step over `size` parameters in `params` with gradients `grads`. */
export async function recordOptimizerStep(
  gpu: Gpu,
  config: OptimizerConfig,
  buffers: { params: GPUBuffer; grads: GPUBuffer; size: number },
): Promise<GpuOptimizer> {
  checkOptimizerConfig(config);
  const n = buffers.size;
  checkPositiveInt("optim", "size", n);
  for (const [name, b] of [["params", buffers.params], ["grads", buffers.grads]] as const) {
    if (b.size < n * 4) {
      throw new RangeError(`optim: ${name} holds ${b.size / 4} floats, expected at least ${n}`);
    }
  }
  const adam = config.kind === "adam";
  const first = createStorageBuffer(gpu, n * 4, "optim.first");
  const second = createStorageBuffer(gpu, adam ? n * 4 : 4, "optim.second");
  const numPartials = Math.min(256, Math.ceil(n / 256));
  const partials = createStorageBuffer(gpu, numPartials * 4, "optim.partials");
  const stats = createStorageBuffer(gpu, 16, "optim.stats");
  const step = createStorageBuffer(gpu, 4, "optim.step");
  const uniform = createUniformBuffer(
    gpu,
    new ParamWriter()
      .u32(n).u32(adam ? 1 : 0).f32(config.lr).u32(config.totalSteps ?? 0)
      .f32(config.alpha ?? 0.99).f32(config.eps ?? (adam ? 1e-8 : 0.1))
      .f32(config.beta1 ?? 0.9).f32(config.beta2 ?? 0.999)
      .f32(config.maxGradNorm ?? 0).u32(numPartials).bytes(),
    "optim",
  );
  const _ = undefined; // bindings an entry point does not use
  const dispatches = [
    await makeDispatch(gpu, "optim", "norm_partial", [uniform, _, buffers.grads, _, _, partials], [
      numPartials,
    ]),
    await makeDispatch(gpu, "optim", "norm_final", [uniform, _, _, _, _, partials, stats, step], [
      1,
    ]),
    await makeDispatch(
      gpu,
      "optim",
      "update",
      [uniform, buffers.params, buffers.grads, first, second, _, stats, step],
      grid1d(n),
    ),
    await makeDispatch(gpu, "optim", "advance", [_, _, _, _, _, _, _, step], [1]),
  ];
  return {
    dispatches,
    first,
    second,
    step,
    stats,
    readStep: async () => (await readU32(gpu, step))[0],
  };
}
