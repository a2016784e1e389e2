/**
 * Records the optimizer step of `shaders/optim.wgsl` (twin: {@link optimizerStep} in
 * `optim.ts`) over flat parameter and gradient buffers: the gradient norm in two passes
 * (per-workgroup partial sums, then one workgroup), the RMSProp or Adam update with the
 * clipped gradient and annealed learning rate, and the step counter. Four dispatches, all
 * buffers made at record time; replaying the plan needs no CPU work and no readback: the
 * norm, learning rate, step and clip factor land in `stats` for the caller to read at log
 * intervals, and the step counter lives on the GPU.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  createStorageBuffer,
  createUniformBuffer,
  ParamWriter,
  readFloats,
  readU32,
  writeBuffer,
} from "../gpu/buffers.ts";
import { type Dispatch, makeDispatch, makeDispatch1d } from "../gpu/plan.ts";
import {
  type OptimizerConfig,
  type OptimizerState,
  type OptimizerStepStats,
  resolveOptimizerConfig,
} from "./optim.ts";
import { checkPositiveInt } from "./types.ts";

/** Workgroup size of every optimizer kernel but `advance` (the shader's WG). */
const WG = 256;

/** Workgroups of the first norm pass, at most (each sums a strided share of the gradient). */
export const MAX_NORM_PARTIALS = 1024;

/** What {@link recordOptimizerStep} made: its dispatches and its state buffers. */
export interface GpuOptimizer {
  /** norm_partial, norm_final, rmsprop or adam, advance: one optimizer step. */
  readonly dispatches: Dispatch[];
  /** The optimizer kind. */
  readonly kind: OptimizerConfig["kind"];
  /** Parameters updated (floats). */
  readonly size: number;
  /** RMSProp g or Adam m, f32 [size]; zero when recorded. */
  readonly first: GPUBuffer;
  /** Adam v, f32 [size] (one unused float for RMSProp); zero when recorded. */
  readonly second: GPUBuffer;
  /** The step counter, u32 [1]: steps taken so far; 0 when recorded. */
  readonly step: GPUBuffer;
  /**
   * f32 [8] written by each step: [gradient norm before clipping, learning rate used, step
   * index used, clip factor, Adam's 1 − β1^(t+1), 1 − β2^(t+1), unused, unused]. Read it
   * with {@link readOptimizerStats}.
   */
  readonly stats: GPUBuffer;
  /** Reads the step counter (awaits the GPU). */
  readStep(): Promise<number>;
}

/**
 * Records one optimizer step over the first `size` floats of `params` with gradients `grads`
 * (flat buffers in the same layout). Creates the state buffers (zeros; RMSProp's g at `rmsInit`), the stats buffer and
 * the uniform; validates the config (naming the field) and the buffer sizes.
 */
export async function recordOptimizerStep(
  gpu: Gpu,
  config: OptimizerConfig,
  buffers: { params: GPUBuffer; grads: GPUBuffer; size: number },
): Promise<GpuOptimizer> {
  const c = resolveOptimizerConfig(config);
  const n = buffers.size;
  checkPositiveInt("optim", "size", n);
  for (const [name, b] of [["params", buffers.params], ["grads", buffers.grads]] as const) {
    if (b.size < n * 4) {
      throw new RangeError(
        `optim: ${name} holds ${b.size / 4} floats, expected at least size = ${n}`,
      );
    }
  }
  const adam = c.kind === "adam";
  const first = c.kind === "rmsprop" && c.rmsInit !== 0
    ? createStorageBuffer(gpu, new Float32Array(n).fill(c.rmsInit), "optim.first")
    : createStorageBuffer(gpu, n * 4, "optim.first");
  const second = createStorageBuffer(gpu, adam ? n * 4 : 4, "optim.second");
  const numPartials = Math.min(MAX_NORM_PARTIALS, Math.ceil(n / WG));
  const partials = createStorageBuffer(gpu, numPartials * 4, "optim.partials");
  const stats = createStorageBuffer(gpu, 32, "optim.stats");
  const step = createStorageBuffer(gpu, 4, "optim.step");
  const uniform = createUniformBuffer(
    gpu,
    new ParamWriter()
      .u32(n).f32(c.lr).u32(c.totalSteps).f32(c.maxGradNorm).u32(numPartials).f32(c.eps)
      .f32(c.alpha).f32(1 - c.alpha)
      .f32(c.beta1).f32(1 - c.beta1).f32(Math.log(c.beta1))
      .f32(c.beta2).f32(1 - c.beta2).f32(Math.log(c.beta2))
      .bytes(),
    "optim",
  );
  const _ = undefined; // a binding this entry point does not use
  const { params, grads } = buffers;
  const wg = { WG };
  const dispatches = [
    await makeDispatch(
      gpu,
      "optim",
      "norm_partial",
      [uniform, _, grads, _, _, partials],
      [numPartials],
      wg,
    ),
    await makeDispatch(
      gpu,
      "optim",
      "norm_final",
      [uniform, _, _, _, _, partials, stats, step],
      [1],
      wg,
    ),
    await makeDispatch1d(gpu, {
      shader: "optim",
      entryPoint: adam ? "adam" : "rmsprop",
      buffers: adam
        ? [uniform, params, grads, first, second, _, stats, _]
        : [uniform, params, grads, first, _, _, stats, _],
      n,
      wg: WG,
    }),
    await makeDispatch(gpu, "optim", "advance", [_, _, _, _, _, _, _, step], [1]),
  ];
  return {
    dispatches,
    kind: c.kind,
    size: n,
    first,
    second,
    step,
    stats,
    readStep: async () => (await readU32(gpu, step))[0],
  };
}

/** Reads the stats of the last step (awaits the GPU: log intervals only). */
export async function readOptimizerStats(
  gpu: Gpu,
  opt: GpuOptimizer,
): Promise<OptimizerStepStats> {
  const s = await readFloats(gpu, opt.stats, 0, 4);
  return { gradNorm: s[0], lr: s[1], step: s[2], clipScale: s[3] };
}

/**
 * Reads the optimizer state back (awaits the GPU), e.g. for a checkpoint with
 * `optimizerStateTensors`.
 */
export async function downloadOptimizerState(
  gpu: Gpu,
  opt: GpuOptimizer,
): Promise<OptimizerState> {
  const first = await readFloats(gpu, opt.first, 0, opt.size);
  const second = opt.kind === "adam"
    ? await readFloats(gpu, opt.second, 0, opt.size)
    : new Float32Array(0);
  return { first, second, step: await opt.readStep() };
}

/**
 * Queues writes of `state` (e.g. from `restoreOptimizerState`) into the optimizer's buffers;
 * ordered before the next submit. Throws when the sizes differ from the recorded optimizer's.
 */
export function uploadOptimizerState(gpu: Gpu, opt: GpuOptimizer, state: OptimizerState): void {
  const adam = opt.kind === "adam";
  if (state.first.length !== opt.size || (adam && state.second.length !== opt.size)) {
    throw new RangeError(
      `optim: state has ${state.first.length}` + (adam ? `/${state.second.length}` : "") +
        ` floats per slot, the ${opt.kind} optimizer has ${opt.size}`,
    );
  }
  if (!Number.isInteger(state.step) || state.step < 0 || state.step > 0xffffffff) {
    throw new RangeError(`optim: state.step ${state.step} is not a u32`);
  }
  // queue.writeBuffer takes no SharedArrayBuffer (A3C's shared state): copy those.
  const own = (a: Float32Array) => a.buffer instanceof SharedArrayBuffer ? a.slice() : a;
  writeBuffer(gpu, opt.first, own(state.first));
  if (adam) writeBuffer(gpu, opt.second, own(state.second));
  writeBuffer(gpu, opt.step, new Uint32Array([state.step]));
}
