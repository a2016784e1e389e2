/**
 * Records the kernels of `shaders/gaussian.wgsl` (twin: `gaussian.ts`): Gaussian sampling
 * with the counter RNG, forward evaluation, and the fused loss and backward.
 *
 * The fused loss binds 9 storage buffers; the device is opened with the adapter's
 * `maxStorageBuffersPerShaderStage` (every desktop GPU and llvmpipe allow at least 9), and
 * the recorder says so clearly where a device allows fewer.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  bindTensor,
  type BufferRange,
  createStorageBuffer,
  createUniformBuffer,
  ParamWriter,
} from "../gpu/buffers.ts";
import type { Dispatch } from "../gpu/plan.ts";
import { LOSS_STATS, resolveActorCriticOptions } from "./actor_critic.ts";
import { type ActorCriticGpuOptions, recordHeadKernel, rowGrid } from "./actor_critic_gpu.ts";
import { checkU32 } from "./sample.ts";
import { checkPositiveInt } from "./types.ts";

/** Fields of the `gaussian.wgsl` uniform, in order. */
interface GaussianParams {
  B: number;
  D: number;
  valueCoef?: number;
  entropyCoef?: number;
  scale?: number;
  seed?: number;
  streamOffset?: number;
  statsOffset?: number;
  numPartials?: number;
}

function params(gpu: Gpu, kernel: string, x: GaussianParams): GPUBuffer {
  return createUniformBuffer(
    gpu,
    new ParamWriter().u32(x.B).u32(x.D).f32(x.valueCoef ?? 0).f32(x.entropyCoef ?? 0)
      .f32(x.scale ?? 0).u32(x.seed ?? 0).u32(x.streamOffset ?? 0).u32(x.statsOffset ?? 0)
      .u32(x.numPartials ?? 0).bytes(),
    kernel,
  );
}

function checkDims(kernel: string, B: number, D: number): void {
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "D", D);
}

/** GPU buffers of {@link recordGaussianSample}. */
export interface GaussianSampleBuffers {
  /** Means, f32 [B, D]. */
  readonly mean: BufferRange;
  /** Log standard deviations, f32 [D]. */
  readonly logStd: BufferRange;
  /** The step counter, u32 [1] (see `createCounterBuffer`). */
  readonly counter: BufferRange;
  /** Output actions, f32 [B, D] (not clipped). */
  readonly actions: BufferRange;
}

/** Sizes and RNG settings of {@link recordGaussianSample}. */
export interface GaussianSampleOptions {
  /** Batch rows. */
  readonly B: number;
  /** Action dimensions. */
  readonly D: number;
  /** RNG seed (u32). */
  readonly seed: number;
  /** Added to the row index to form the RNG stream (u32). Default 0. */
  readonly streamOffset?: number;
}

/**
 * Records `gaussian.sample`: actions = mean + exp(logStd)·ε, ε by Box–Muller from counters
 * counter·2D + 2d and + 1 of stream b + streamOffset. One invocation per element.
 */
export async function recordGaussianSample(
  gpu: Gpu,
  buffers: GaussianSampleBuffers,
  opts: GaussianSampleOptions,
): Promise<Dispatch> {
  const kernel = "gaussian.sample";
  const { B, D, seed, streamOffset = 0 } = opts;
  checkDims(kernel, B, D);
  checkU32(kernel, "seed", seed);
  checkU32(kernel, "streamOffset", streamOffset);
  return await recordHeadKernel(gpu, "gaussian", "sample", [
    params(gpu, kernel, { B, D, seed, streamOffset }),
    bindTensor(gpu, kernel, "mean", buffers.mean, [B, D]),
    bindTensor(gpu, kernel, "logStd", buffers.logStd, [D]),
    bindTensor(gpu, kernel, "counter", buffers.counter, [1], "u32"),
    bindTensor(gpu, kernel, "actions", buffers.actions, [B, D]),
  ], rowGrid(B * D).grid);
}

/** GPU buffers of {@link recordGaussianEvaluate}. */
export interface GaussianEvalBuffers {
  /** Means, f32 [B, D]. */
  readonly mean: BufferRange;
  /** Log standard deviations, f32 [D]. */
  readonly logStd: BufferRange;
  /** Actions to score, f32 [B, D]. */
  readonly actions: BufferRange;
  /** Output log π(a) summed over D, f32 [B]. */
  readonly logProb: BufferRange;
  /** Output entropy in nats, f32 [B]. */
  readonly entropy: BufferRange;
}

/** Records `gaussian.evaluate`: log π(a) and H(π) per row over B rows and D dimensions. */
export async function recordGaussianEvaluate(
  gpu: Gpu,
  buffers: GaussianEvalBuffers,
  B: number,
  D: number,
): Promise<Dispatch> {
  const kernel = "gaussian.evaluate";
  checkDims(kernel, B, D);
  const x = buffers;
  return await recordHeadKernel(gpu, "gaussian", "evaluate", [
    params(gpu, kernel, { B, D }),
    bindTensor(gpu, kernel, "mean", x.mean, [B, D]),
    bindTensor(gpu, kernel, "logStd", x.logStd, [D]),
    bindTensor(gpu, kernel, "actions", x.actions, [B, D]),
    bindTensor(gpu, kernel, "logProb", x.logProb, [B]),
    bindTensor(gpu, kernel, "entropy", x.entropy, [B]),
  ], rowGrid(B).grid);
}

/** GPU buffers of {@link recordGaussianLoss}; layouts as in `GaussianLossArgs`. */
export interface GaussianLossBuffers {
  /** Means, f32 [B, D]. */
  readonly mean: BufferRange;
  /** Log standard deviations, f32 [D]. */
  readonly logStd: BufferRange;
  /** Taken actions, f32 [B, D]. */
  readonly actions: BufferRange;
  /** Value estimates, f32 [B]. */
  readonly values: BufferRange;
  /** Advantages, f32 [B]. */
  readonly advantages: BufferRange;
  /** Value targets, f32 [B]. */
  readonly returns: BufferRange;
  /** Output gradient w.r.t. the means, f32 [B, D]. */
  readonly dMean: BufferRange;
  /** Output gradient w.r.t. logStd, f32 [D] (overwritten). */
  readonly dLogStd: BufferRange;
  /** Output gradient w.r.t. the values, f32 [B]. */
  readonly dValues: BufferRange;
  /** Output loss statistics, f32 [statsOffset + LOSS_STATS] (see `LossStat`). */
  readonly stats: BufferRange;
}

/** Storage buffers bound by `gaussian.loss`. */
const LOSS_STORAGE_BUFFERS = 9;

/**
 * Records the fused Gaussian actor-critic loss and backward: `gaussian.loss` (one invocation
 * per row; per-workgroup partials of the statistics and of dLogStd into a scratch buffer
 * [groups, LOSS_STATS + D] made here) then `gaussian.reduce` (one workgroup per column).
 * Two dispatches; no atomics.
 */
export async function recordGaussianLoss(
  gpu: Gpu,
  buffers: GaussianLossBuffers,
  B: number,
  D: number,
  opts: ActorCriticGpuOptions = {},
): Promise<Dispatch[]> {
  const kernel = "gaussian.loss";
  checkDims(kernel, B, D);
  const statsOffset = opts.statsOffset ?? 0;
  if (!Number.isInteger(statsOffset) || statsOffset < 0) {
    throw new RangeError(
      `${kernel}: statsOffset must be a non-negative integer, got ${statsOffset}`,
    );
  }
  const limit = gpu.limits.maxStorageBuffersPerShaderStage;
  if (limit < LOSS_STORAGE_BUFFERS) {
    throw new RangeError(
      `${kernel}: needs ${LOSS_STORAGE_BUFFERS} storage buffers per shader stage, this device ` +
        `allows ${limit} (maxStorageBuffersPerShaderStage)`,
    );
  }
  const { valueCoef, entropyCoef, scale } = resolveActorCriticOptions(kernel, B, opts);
  const x = buffers;
  const bound = [
    bindTensor(gpu, kernel, "mean", x.mean, [B, D]),
    bindTensor(gpu, kernel, "logStd", x.logStd, [D]),
    bindTensor(gpu, kernel, "actions", x.actions, [B, D]),
    bindTensor(gpu, kernel, "values", x.values, [B]),
    bindTensor(gpu, kernel, "advantages", x.advantages, [B]),
    bindTensor(gpu, kernel, "returns", x.returns, [B]),
    bindTensor(gpu, kernel, "dMean", x.dMean, [B, D]),
    bindTensor(gpu, kernel, "dValues", x.dValues, [B]),
  ];
  const stats = bindTensor(gpu, kernel, "stats", x.stats, [statsOffset + LOSS_STATS]);
  const dLogStd = bindTensor(gpu, kernel, "dLogStd", x.dLogStd, [D]);
  const { grid, groups } = rowGrid(B);
  const width = LOSS_STATS + D;
  const partials = createStorageBuffer(gpu, groups * width * 4, `${kernel} partials`);
  const common = { B, D, valueCoef, entropyCoef, scale, statsOffset, numPartials: groups };
  const loss = await recordHeadKernel(gpu, "gaussian", "loss", [
    params(gpu, kernel, common),
    ...bound,
    partials,
  ], grid);
  const reduce = await recordHeadKernel(gpu, "gaussian", "reduce", [
    params(gpu, "gaussian.reduce", common),
    partials,
    stats,
    dLogStd,
  ], [width]);
  return [loss, reduce];
}
