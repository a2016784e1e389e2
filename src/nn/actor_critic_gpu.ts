/**
 * Records the kernels of `shaders/actor_critic.wgsl` (twin: `actor_critic.ts`): the fused
 * categorical actor-critic loss and backward, its forward-only evaluation, and the reduction
 * of per-workgroup loss partials into the statistics buffer that every loss head shares.
 *
 * Statistics stay on the GPU: the loss writes them into `stats` at `statsOffset` (elements)
 * and the algorithm reads that buffer back asynchronously every K iterations.
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
import { type Dispatch, grid1d, makeDispatch } from "../gpu/plan.ts";
import { type ActorCriticOptions, LOSS_STATS, resolveActorCriticOptions } from "./actor_critic.ts";
import { checkPositiveInt } from "./types.ts";

/** Invocations per workgroup of every head kernel (one invocation per row): their WG. */
export const HEAD_WORKGROUP = 64;

/**
 * Records an entry point of a head shader (actor_critic, gaussian, q_head, sample) over
 * `workgroups`, with {@link HEAD_WORKGROUP} as its WG.
 */
export function recordHeadKernel(
  gpu: Gpu,
  shader: string,
  entryPoint: string,
  buffers: readonly (BufferRange | undefined)[],
  workgroups: readonly [number, number?, number?],
): Promise<Dispatch> {
  return makeDispatch(gpu, shader, entryPoint, buffers, workgroups, { WG: HEAD_WORKGROUP });
}

/** Throws a RangeError naming the kernel unless `statsOffset` is a non-negative integer. */
function checkStatsOffset(kernel: string, statsOffset: number): void {
  if (!Number.isInteger(statsOffset) || statsOffset < 0) {
    throw new RangeError(
      `${kernel}: statsOffset must be a non-negative integer, got ${statsOffset}`,
    );
  }
}

/**
 * Records the final reduction of a loss head (kernel `actor_critic.reduce_stats`, one
 * workgroup): `stats[statsOffset + k] = Σ_g partials[g, k]` for k < LOSS_STATS.
 * `partials`: f32 [numPartials, LOSS_STATS]; `stats`: f32 [statsOffset + LOSS_STATS].
 */
export async function recordLossStatsReduce(
  gpu: Gpu,
  partials: BufferRange,
  stats: BufferRange,
  numPartials: number,
  statsOffset = 0,
): Promise<Dispatch> {
  const kernel = "actor_critic.reduce_stats";
  checkPositiveInt(kernel, "numPartials", numPartials);
  checkStatsOffset(kernel, statsOffset);
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(0).u32(0).f32(0).f32(0).f32(0).u32(statsOffset).u32(numPartials)
      .u32(0).bytes(),
    kernel,
  );
  return await recordHeadKernel(gpu, "actor_critic", "reduce_stats", [
    params,
    bindTensor(gpu, kernel, "partials", partials, [numPartials, LOSS_STATS]),
    bindTensor(gpu, kernel, "stats", stats, [statsOffset + LOSS_STATS]),
  ], [1]);
}

/**
 * Workgroup grid of a row kernel over B rows and its number of workgroups (the rows of the
 * partials buffer the loss heads write).
 */
export function rowGrid(B: number): { grid: [number, number, number]; groups: number } {
  const grid = grid1d(B, HEAD_WORKGROUP);
  return { grid, groups: grid[0] * grid[1] };
}

/**
 * Creates the scratch buffer of per-workgroup loss partials for a head over B rows:
 * f32 [groups, LOSS_STATS].
 */
export function createLossPartials(gpu: Gpu, B: number, label: string): GPUBuffer {
  return createStorageBuffer(gpu, rowGrid(B).groups * LOSS_STATS * 4, `${label} partials`);
}

/** GPU buffers of {@link recordActorCriticLoss}; layouts as in `ActorCriticArgs`. */
export interface ActorCriticBuffers {
  /** Policy logits, f32 [B, A]. */
  readonly logits: BufferRange;
  /** Value estimates, f32 [B]. */
  readonly values: BufferRange;
  /** Taken actions, i32 [B]. */
  readonly actions: BufferRange;
  /** Advantages, f32 [B]. */
  readonly advantages: BufferRange;
  /** Value targets, f32 [B]. */
  readonly returns: BufferRange;
  /** Output gradient w.r.t. the logits, f32 [B, A]. */
  readonly dLogits: BufferRange;
  /** Output gradient w.r.t. the values, f32 [B]. */
  readonly dValues: BufferRange;
  /** Output loss statistics, f32 [statsOffset + LOSS_STATS] (see `LossStat`). */
  readonly stats: BufferRange;
}

/** Options of {@link recordActorCriticLoss}: the coefficients plus where the stats go. */
export interface ActorCriticGpuOptions extends ActorCriticOptions {
  /** Element offset of the LOSS_STATS statistics in `stats`. Default 0. */
  statsOffset?: number;
}

/**
 * Records the fused categorical actor-critic loss and backward over B rows and A actions:
 * `actor_critic.loss` (one invocation per row, per-workgroup partial statistics into a
 * scratch buffer made here) then `actor_critic.reduce_stats`. Two dispatches.
 */
export async function recordActorCriticLoss(
  gpu: Gpu,
  buffers: ActorCriticBuffers,
  B: number,
  A: number,
  opts: ActorCriticGpuOptions = {},
): Promise<Dispatch[]> {
  const kernel = "actor_critic.loss";
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  const statsOffset = opts.statsOffset ?? 0;
  checkStatsOffset(kernel, statsOffset);
  const { valueCoef, entropyCoef, scale } = resolveActorCriticOptions(kernel, B, opts);
  const x = buffers;
  const bound = [
    bindTensor(gpu, kernel, "logits", x.logits, [B, A]),
    bindTensor(gpu, kernel, "actions", x.actions, [B], "i32"),
    bindTensor(gpu, kernel, "values", x.values, [B]),
    bindTensor(gpu, kernel, "advantages", x.advantages, [B]),
    bindTensor(gpu, kernel, "returns", x.returns, [B]),
    bindTensor(gpu, kernel, "dLogits", x.dLogits, [B, A]),
    bindTensor(gpu, kernel, "dValues", x.dValues, [B]),
  ];
  bindTensor(gpu, kernel, "stats", x.stats, [statsOffset + LOSS_STATS]);
  const { grid, groups } = rowGrid(B);
  const partials = createLossPartials(gpu, B, kernel);
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(B).u32(A).f32(valueCoef).f32(entropyCoef).f32(scale).u32(0).u32(0)
      .u32(0).bytes(),
    kernel,
  );
  const loss = await recordHeadKernel(
    gpu,
    "actor_critic",
    "loss",
    [params, ...bound, partials],
    grid,
  );
  return [loss, await recordLossStatsReduce(gpu, partials, x.stats, groups, statsOffset)];
}

/** GPU buffers of {@link recordActorCriticEvaluate}. */
export interface ActorCriticEvalBuffers {
  /** Policy logits, f32 [B, A]. */
  readonly logits: BufferRange;
  /** Actions to score, i32 [B]. */
  readonly actions: BufferRange;
  /** Output log π(a), f32 [B]. */
  readonly logProb: BufferRange;
  /** Output entropy H(π) in nats, f32 [B]. */
  readonly entropy: BufferRange;
}

/** Records `actor_critic.evaluate`: log π(a) and H(π) per row over B rows and A actions. */
export async function recordActorCriticEvaluate(
  gpu: Gpu,
  buffers: ActorCriticEvalBuffers,
  B: number,
  A: number,
): Promise<Dispatch> {
  const kernel = "actor_critic.evaluate";
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  const x = buffers;
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(B).u32(A).f32(0).f32(0).f32(0).u32(0).u32(0).u32(0).bytes(),
    kernel,
  );
  return await recordHeadKernel(gpu, "actor_critic", "evaluate", [
    params,
    bindTensor(gpu, kernel, "logits", x.logits, [B, A]),
    bindTensor(gpu, kernel, "actions", x.actions, [B], "i32"),
    bindTensor(gpu, kernel, "logProb", x.logProb, [B]),
    bindTensor(gpu, kernel, "entropy", x.entropy, [B]),
  ], rowGrid(B).grid);
}
