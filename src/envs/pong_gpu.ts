/**
 * The GPU form of Pong: `shaders/envs/pong.wgsl` recorded as a plan of two dispatches per
 * step, `step` (one invocation per copy: the frame-skipped physics, auto-reset and episode
 * statistics; it keeps the pixel rectangles of the last `frameStack` frames in the state) and
 * `render` (one invocation per u32 word of the whole obs buffer, so that neighbouring
 * invocations write neighbouring words: the 7 KB a copy of 84 × 84 × 4 are written
 * coalesced, from the state alone). `reset` is followed by the same `render`. The buffers
 * follow the shared env layout ({@link GpuEnvBuffers}); the bindings follow the contract of
 * `src/envs/gpu_env.ts`, each entry point bound only to what it uses.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  createStorageBuffer,
  createUniformBuffer,
  ParamWriter,
  readU32,
  writeBuffer,
} from "../gpu/buffers.ts";
import { type Dispatch, grid1d, makeDispatch, type Plan, runPlan } from "../gpu/plan.ts";
import { decodeEpisodeRing, EPISODE_RING_WORDS } from "./episodes.ts";
import { ENV_WORKGROUP_SIZE, obsWords } from "./gpu_env.ts";
import { checkNumEnvs } from "./options.ts";
import { pongKernel, type PongOptions } from "./pong.ts";
import type { EpisodeStats, GpuEnvBuffers, GpuVecEnv } from "./types.ts";

/** Workgroup size of Pong's `render` entry point (one invocation per obs word). */
export const PONG_RENDER_WORKGROUP_SIZE = 256;

/** The GPU form of Pong plus its dispatches, for tests and benchmarks. */
export interface PongGpu extends GpuVecEnv {
  /** The `reset` dispatch (needs the seed written first: use `reset(seed)`). */
  readonly resetDispatch: Dispatch;
  /** The `step` dispatch: physics of every copy, no obs. */
  readonly stepDispatch: Dispatch;
  /** The `render` dispatch: every obs word from the state. */
  readonly renderDispatch: Dispatch;
  /** The `render_final` dispatch: the final obs of each copy the step truncated. */
  readonly renderFinalDispatch: Dispatch;
}

/**
 * Builds the GPU form of `numEnvs` copies of Pong with `options` (validated before any GPU
 * work): allocates the buffers (zeroed) and records `reset`, `step` and `render`. Call
 * `reset(seed)` before stepping; `stepPlan()` is [step, render, render_final].
 */
export async function makePongGpu(
  gpu: Gpu,
  numEnvs: number,
  options?: PongOptions,
): Promise<PongGpu> {
  const n = checkNumEnvs("pong", numEnvs);
  const kernel = pongKernel(options);
  const { spec, shader } = kernel;
  const ow = obsWords(spec);
  if (n * ow > 0xffffffff) {
    throw new RangeError(
      `env pong: numEnvs ${n} × ${ow} obs words exceeds 2^32 - 1 words (the render index)`,
    );
  }
  const label = (what: string) => `pong.${what}`;
  const buffers: GpuEnvBuffers = {
    state: createStorageBuffer(gpu, n * kernel.stateWords * 4, label("state")),
    obs: createStorageBuffer(gpu, n * ow * 4, label("obs")),
    actions: createStorageBuffer(gpu, n * 4, label("actions")),
    reward: createStorageBuffer(gpu, n * 4, label("reward")),
    terminated: createStorageBuffer(gpu, n * 4, label("terminated")),
    truncated: createStorageBuffer(gpu, n * 4, label("truncated")),
    finalObs: createStorageBuffer(gpu, n * ow * 4, label("final obs")),
    episodes: createStorageBuffer(gpu, EPISODE_RING_WORDS * 4, label("episodes")),
  };
  const params = createUniformBuffer(gpu, envParams(n, 0), label("params"));
  const b = buffers;
  const constants = kernel.constants ?? {};
  const perCopy = grid1d(n, ENV_WORKGROUP_SIZE);
  const flags = [b.reward, b.terminated, b.truncated, b.episodes];
  const resetDispatch = await makeDispatch(
    gpu,
    shader,
    "reset",
    [params, b.state, undefined, ...flags],
    perCopy,
    constants,
  );
  const stepDispatch = await makeDispatch(
    gpu,
    shader,
    "step",
    [params, b.state, undefined, ...flags, b.actions],
    perCopy,
    constants,
  );
  const renderDispatch = await makeDispatch(
    gpu,
    shader,
    "render",
    [params, b.state, b.obs],
    grid1d(n * ow, PONG_RENDER_WORKGROUP_SIZE),
    constants,
  );
  const renderFinalDispatch = await makeDispatch(
    gpu,
    shader,
    "render_final",
    [
      params,
      b.state,
      undefined,
      undefined,
      undefined,
      b.truncated,
      undefined,
      undefined,
      b.finalObs,
    ],
    perCopy,
    constants,
  );
  const plan: Plan = [stepDispatch, renderDispatch, renderFinalDispatch];
  return {
    spec,
    numEnvs: n,
    buffers,
    resetDispatch,
    stepDispatch,
    renderDispatch,
    renderFinalDispatch,
    async reset(seed: number): Promise<void> {
      // Queue order puts this write before the reset and every later step submit.
      writeBuffer(gpu, params, envParams(n, seed));
      await runPlan(gpu, [resetDispatch, renderDispatch]);
    },
    stepPlan: () => plan,
    async episodeStats(): Promise<EpisodeStats> {
      return decodeEpisodeRing(await readU32(gpu, b.episodes));
    },
  };
}

function envParams(n: number, seed: number): Uint8Array {
  return new ParamWriter().u32(n).u32(seed >>> 0).bytes();
}
