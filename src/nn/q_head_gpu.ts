/**
 * Records the kernels of `shaders/q_head.wgsl` (twin: `q_head.ts`): the TD loss with its
 * gradient, and ε-greedy selection. Greedy selection is `recordGreedy` of `sample_gpu.ts`.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { bindTensor, type BufferRange, createUniformBuffer, ParamWriter } from "../gpu/buffers.ts";
import type { Dispatch } from "../gpu/plan.ts";
import { LOSS_STATS } from "./actor_critic.ts";
import {
  createLossPartials,
  recordHeadKernel,
  recordLossStatsReduce,
  rowGrid,
} from "./actor_critic_gpu.ts";
import { type QLossOptions, resolveQScale } from "./q_head.ts";
import { checkU32 } from "./sample.ts";
import { checkPositiveInt } from "./types.ts";

function params(
  gpu: Gpu,
  kernel: string,
  B: number,
  A: number,
  scale: number,
  seed: number,
  streamOffset: number,
): GPUBuffer {
  return createUniformBuffer(
    gpu,
    new ParamWriter().u32(B).u32(A).f32(scale).u32(seed).u32(streamOffset).bytes(),
    kernel,
  );
}

/** GPU buffers of {@link recordQLoss}. */
export interface QLossBuffers {
  /** Action values, f32 [B, A]. */
  readonly q: BufferRange;
  /** Taken actions, i32 [B]. */
  readonly actions: BufferRange;
  /** TD targets, f32 [B]. */
  readonly targets: BufferRange;
  /** Output gradient w.r.t. q, f32 [B, A] (zero except at the taken actions). */
  readonly dq: BufferRange;
  /** Output loss statistics, f32 [statsOffset + LOSS_STATS] (layout in `q_head.ts`). */
  readonly stats: BufferRange;
}

/** Options of {@link recordQLoss}. */
export interface QLossGpuOptions extends QLossOptions {
  /** Element offset of the LOSS_STATS statistics in `stats`. Default 0. */
  statsOffset?: number;
}

/**
 * Records the TD loss and its gradient over B rows and A actions: `q_head.loss` (one
 * invocation per row, per-workgroup partial statistics into a scratch buffer made here)
 * then `actor_critic.reduce_stats`. Two dispatches.
 */
export async function recordQLoss(
  gpu: Gpu,
  buffers: QLossBuffers,
  B: number,
  A: number,
  opts: QLossGpuOptions = {},
): Promise<Dispatch[]> {
  const kernel = "q_head.loss";
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  const scale = resolveQScale(kernel, B, opts);
  const statsOffset = opts.statsOffset ?? 0;
  if (!Number.isInteger(statsOffset) || statsOffset < 0) {
    throw new RangeError(
      `${kernel}: statsOffset must be a non-negative integer, got ${statsOffset}`,
    );
  }
  const x = buffers;
  const bound = [
    bindTensor(gpu, kernel, "q", x.q, [B, A]),
    bindTensor(gpu, kernel, "actions", x.actions, [B], "i32"),
    bindTensor(gpu, kernel, "targets", x.targets, [B]),
    bindTensor(gpu, kernel, "dq", x.dq, [B, A]),
  ];
  bindTensor(gpu, kernel, "stats", x.stats, [statsOffset + LOSS_STATS]);
  const { grid, groups } = rowGrid(B);
  const partials = createLossPartials(gpu, B, kernel);
  const loss = await recordHeadKernel(gpu, "q_head", "loss", [
    params(gpu, kernel, B, A, scale, 0, 0),
    ...bound,
    partials,
  ], grid);
  return [loss, await recordLossStatsReduce(gpu, partials, x.stats, groups, statsOffset)];
}

/** GPU buffers of {@link recordEpsilonGreedy}. */
export interface EpsilonGreedyBuffers {
  /** Action values, f32 [B, A]. */
  readonly q: BufferRange;
  /** Exploration rate per row, f32 [B]. */
  readonly epsilon: BufferRange;
  /** The step counter, u32 [1] (see `createCounterBuffer`). */
  readonly counter: BufferRange;
  /** Output actions, i32 [B]. */
  readonly actions: BufferRange;
}

/** Sizes and RNG settings of {@link recordEpsilonGreedy}. */
export interface EpsilonGreedyOptions {
  /** Batch rows. */
  readonly B: number;
  /** Actions per row. */
  readonly A: number;
  /** RNG seed (u32). */
  readonly seed: number;
  /** Added to the row index to form the RNG stream (u32). Default 0. */
  readonly streamOffset?: number;
}

/**
 * Records `q_head.epsilon_greedy`: per row, a uniform random action with probability
 * epsilon[b], else the argmax of q (counters 2·counter and 2·counter + 1 of stream
 * b + streamOffset).
 */
export async function recordEpsilonGreedy(
  gpu: Gpu,
  buffers: EpsilonGreedyBuffers,
  opts: EpsilonGreedyOptions,
): Promise<Dispatch> {
  const kernel = "q_head.epsilon_greedy";
  const { B, A, seed, streamOffset = 0 } = opts;
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkU32(kernel, "seed", seed);
  checkU32(kernel, "streamOffset", streamOffset);
  const x = buffers;
  return await recordHeadKernel(gpu, "q_head", "epsilon_greedy", [
    params(gpu, kernel, B, A, 0, seed, streamOffset),
    bindTensor(gpu, kernel, "q", x.q, [B, A]),
    bindTensor(gpu, kernel, "epsilon", x.epsilon, [B]),
    bindTensor(gpu, kernel, "counter", x.counter, [1], "u32"),
    bindTensor(gpu, kernel, "actions", x.actions, [B], "i32"),
  ], rowGrid(B).grid);
}
