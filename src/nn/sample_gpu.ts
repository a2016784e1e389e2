/**
 * Records the kernels of `shaders/sample.wgsl` (twin: `sample.ts`): categorical sampling,
 * greedy selection, and the step-counter increment.
 *
 * The step counter is a u32 in a GPU buffer ({@link createCounterBuffer}). Samplers read it;
 * {@link recordCounterAdvance}, placed at the end of each step of a plan, adds to it, so a
 * replayed plan draws fresh random numbers every step without any CPU work.
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
import { type Dispatch, makeDispatch } from "../gpu/plan.ts";
import { recordHeadKernel, rowGrid } from "./actor_critic_gpu.ts";
import { checkU32 } from "./sample.ts";
import { checkPositiveInt } from "./types.ts";

/** Creates a step-counter buffer: one u32 holding `initial` (default 0). */
export function createCounterBuffer(gpu: Gpu, initial = 0, label = "step counter"): GPUBuffer {
  checkU32("counter", "initial", initial);
  return createStorageBuffer(gpu, new Uint32Array([initial]), label);
}

/** Records `sample.advance`: counter[0] += increment (u32, wrapping). One invocation. */
export async function recordCounterAdvance(
  gpu: Gpu,
  counter: BufferRange,
  increment = 1,
): Promise<Dispatch> {
  const kernel = "sample.advance";
  checkU32(kernel, "increment", increment);
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(0).u32(0).u32(0).u32(0).u32(increment).bytes(),
    kernel,
  );
  return await makeDispatch(gpu, "sample", "advance", [
    params,
    bindTensor(gpu, kernel, "counter", counter, [1], "u32"),
  ], [1]);
}

/** GPU buffers of {@link recordSampleCategorical}. */
export interface SampleBuffers {
  /** Logits, f32 [B, A]. */
  readonly logits: BufferRange;
  /** The step counter, u32 [1]. */
  readonly counter: BufferRange;
  /** Output actions, i32 [B]. */
  readonly actions: BufferRange;
}

/** Sizes and RNG settings of {@link recordSampleCategorical}. */
export interface SampleOptions {
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
 * Records `sample.sample`: actions[b] ~ softmax(logits[b]) with
 * u = rand_unit(seed, b + streamOffset, counter[0]). One invocation per row.
 */
export async function recordSampleCategorical(
  gpu: Gpu,
  buffers: SampleBuffers,
  opts: SampleOptions,
): Promise<Dispatch> {
  const kernel = "sample.sample";
  const { B, A, seed, streamOffset = 0 } = opts;
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkU32(kernel, "seed", seed);
  checkU32(kernel, "streamOffset", streamOffset);
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(B).u32(A).u32(seed).u32(streamOffset).u32(0).bytes(),
    kernel,
  );
  return await recordHeadKernel(gpu, "sample", "sample", [
    params,
    bindTensor(gpu, kernel, "logits", buffers.logits, [B, A]),
    bindTensor(gpu, kernel, "counter", buffers.counter, [1], "u32"),
    bindTensor(gpu, kernel, "actions", buffers.actions, [B], "i32"),
  ], rowGrid(B).grid);
}

/**
 * Records `sample.greedy`: actions[b] = argmax_j logits[b, j], ties to the lowest index.
 * `logits`: f32 [B, A] (or Q values); `actions`: i32 [B].
 */
export async function recordGreedy(
  gpu: Gpu,
  logits: BufferRange,
  actions: BufferRange,
  B: number,
  A: number,
): Promise<Dispatch> {
  const kernel = "sample.greedy";
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(B).u32(A).u32(0).u32(0).u32(0).bytes(),
    kernel,
  );
  return await recordHeadKernel(gpu, "sample", "greedy", [
    params,
    bindTensor(gpu, kernel, "logits", logits, [B, A]),
    bindTensor(gpu, kernel, "actions", actions, [B], "i32"),
  ], rowGrid(B).grid);
}
