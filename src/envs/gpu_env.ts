/**
 * The generic GPU form of a vectorised env: give it a {@link GpuEnvKernel} (the env's shader,
 * the size of its per-copy state and its pipeline constants) and it allocates the
 * {@link GpuEnvBuffers}, records the `reset` and `step` dispatches, and reads the episode
 * ring back. Every env (Catch, CartPole, Pendulum, Pong) is built with it.
 *
 * ## The shader contract (see `shaders/envs/common.wgsl`, which declares the shared part)
 * An env shader `shaders/envs/<name>.wgsl` starts with `#include "envs/common.wgsl"` and has
 * two entry points, both `@workgroup_size(64)` ({@link ENV_WORKGROUP_SIZE}), one invocation
 * per copy, index `i = env_index(gid, nwg)` (stop when `i >= env.n`):
 *
 * | binding | variable                        | declared in | type                                  |
 * |---------|---------------------------------|-------------|---------------------------------------|
 * | 0       | `env: EnvParams {n, seed}`      | common.wgsl | uniform                               |
 * | 1       | `state`                         | the env     | `array<i32>` or `array<u32>`, rw      |
 * | 2       | `obs`                           | the env     | `array<f32>` (f32) / `array<u32>` (u8 packed 4 a word), rw |
 * | 3       | `reward`                        | common.wgsl | `array<f32>`, rw                      |
 * | 4       | `terminated`                    | common.wgsl | `array<u32>`, rw                      |
 * | 5       | `truncated`                     | common.wgsl | `array<u32>`, rw                      |
 * | 6       | `episodes` (the episode ring)   | common.wgsl | `EpisodeRing`, rw                     |
 * | 7       | `actions`                       | the env     | `array<i32>` (discrete) / `array<f32>` (box), read |
 * | 8       | `final_obs` (time-limited envs) | the env     | like `obs`, rw                        |
 *
 * - `reset` is bound to bindings 0..6 and must use every one of them (pipelines use
 *   `layout: "auto"`, which drops unused bindings): it writes each copy's state and first
 *   observation, zeroes reward/terminated/truncated, and calls `clear_episode_count(i)`.
 * - `step` is bound to bindings 0..7 (0..8 when `spec.maxEpisodeSteps > 0`) and must use all
 *   of them: it reads `actions`, advances the copy, writes reward and flags, where it
 *   truncates writes the observation the time limit cut off into `final_obs`, and on episode
 *   end calls `record_episode(ret, len)` and resets the copy in place (auto-reset) so `obs`
 *   holds the next episode's first one.
 * - State is private to the env, `stateWords` u32 words per copy; struct-of-arrays is
 *   recommended (word k of copy i at `k * env.n + i`). Put all per-copy data there.
 * - Randomness: `rand_u32(env.seed, i, counter)` from `rng.wgsl` (included by common.wgsl)
 *   with a per-copy counter kept in the state.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  createStorageBuffer,
  createUniformBuffer,
  ParamWriter,
  readBuffer,
  readU32,
  writeBuffer,
} from "../gpu/buffers.ts";
import {
  type Dispatch,
  encodePlan,
  grid1d,
  makeDispatch,
  type Plan,
  runPlan,
} from "../gpu/plan.ts";
import { decodeEpisodeRing, EPISODE_RING_WORDS } from "./episodes.ts";
import type { EnvSpec, EpisodeStats, GpuEnvBuffers, GpuVecEnv } from "./types.ts";

/** Workgroup size of every env kernel's `reset` and `step` (one invocation per copy). */
export const ENV_WORKGROUP_SIZE = 64;

/** What the generic builder needs to know about one env's GPU kernels. */
export interface GpuEnvKernel {
  /** The env's static description (obs and action shapes size the buffers). */
  readonly spec: EnvSpec;
  /** Shader name: its path under `shaders/` without `.wgsl`, e.g. "envs/catch". */
  readonly shader: string;
  /** u32 words of private state per copy (the state buffer holds numEnvs × stateWords). */
  readonly stateWords: number;
  /** Pipeline-overridable constants of the shader (the env's constants, from its TS module). */
  readonly constants?: Record<string, number>;
}

/** u32 words of one copy's observation: prod(shape) for f32, prod(shape)/4 for u8. */
export function obsWords(spec: EnvSpec): number {
  const size = spec.obs.shape.reduce((a, b) => a * b, 1);
  if (spec.obs.dtype === "f32") return size;
  if (size % 4 !== 0) {
    throw new RangeError(
      `env ${spec.name}: u8 observation shape [${spec.obs.shape}] has ${size} elements, ` +
        "not a multiple of 4 (u8 pixels are packed 4 to a u32 word on the GPU)",
    );
  }
  return size / 4;
}

/** Elements of one copy's action: 1 for discrete, `size` for box. */
export function actionWords(spec: EnvSpec): number {
  return spec.action.kind === "discrete" ? 1 : spec.action.size;
}

/** The GPU form plus what the builder made, for tests and benchmarks. */
export interface GpuEnv extends GpuVecEnv {
  /** The `reset` dispatch (needs the seed written first: use `reset(seed)`). */
  readonly resetDispatch: Dispatch;
  /** The `step` dispatch (the single dispatch of `stepPlan()`). */
  readonly stepDispatch: Dispatch;
}

/**
 * Builds the GPU form of `numEnvs` copies of an env from its kernel description: allocates
 * the buffers (zeroed), records `reset` and `step`. Call `reset(seed)` before stepping.
 */
export async function makeGpuEnvFromKernel(
  gpu: Gpu,
  kernel: GpuEnvKernel,
  numEnvs: number,
): Promise<GpuEnv> {
  const { spec, shader } = kernel;
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new RangeError(`env ${spec.name}: numEnvs must be an integer >= 1, got ${numEnvs}`);
  }
  const n = numEnvs;
  const label = (what: string) => `${spec.name}.${what}`;
  const buffers: GpuEnvBuffers = {
    state: createStorageBuffer(gpu, n * kernel.stateWords * 4, label("state")),
    obs: createStorageBuffer(gpu, n * obsWords(spec) * 4, label("obs")),
    actions: createStorageBuffer(gpu, n * actionWords(spec) * 4, label("actions")),
    reward: createStorageBuffer(gpu, n * 4, label("reward")),
    terminated: createStorageBuffer(gpu, n * 4, label("terminated")),
    truncated: createStorageBuffer(gpu, n * 4, label("truncated")),
    finalObs: createStorageBuffer(gpu, n * obsWords(spec) * 4, label("final obs")),
    episodes: createStorageBuffer(gpu, EPISODE_RING_WORDS * 4, label("episodes")),
  };
  const params = createUniformBuffer(gpu, envParams(n, 0), label("params"));
  const b = buffers;
  const common = [params, b.state, b.obs, b.reward, b.terminated, b.truncated, b.episodes];
  const constants = kernel.constants ?? {};
  const grid = grid1d(n, ENV_WORKGROUP_SIZE);
  const resetDispatch = await makeDispatch(gpu, shader, "reset", common, grid, constants);
  const stepDispatch = await makeDispatch(
    gpu,
    shader,
    "step",
    // Envs with a time limit write the final observation where they truncate (binding 8).
    spec.maxEpisodeSteps > 0 ? [...common, b.actions, b.finalObs] : [...common, b.actions],
    grid,
    constants,
  );
  const plan: Plan = [stepDispatch];
  return {
    spec,
    numEnvs: n,
    buffers,
    resetDispatch,
    stepDispatch,
    async reset(seed: number): Promise<void> {
      // Queue order puts this write before the reset and every later step submit.
      writeBuffer(gpu, params, envParams(n, seed));
      await runPlan(gpu, [resetDispatch]);
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

/** What a GPU env wrote in a run of steps, step-major: [T, N, ...] (flags as u32 0/1). */
export interface GpuRollout {
  /** Observations after each step, [T, N, obsWords] as f32 (f32 obs) or u32 (u8 packed). */
  readonly obs: Float32Array | Uint32Array;
  /** Rewards, [T, N]. */
  readonly reward: Float32Array;
  /** Terminal flags, [T, N]. */
  readonly terminated: Uint32Array;
  /** Truncation flags, [T, N]. */
  readonly truncated: Uint32Array;
  /** The final-observation buffer after each step, like `obs` (meaningful where truncated). */
  readonly finalObs: Float32Array | Uint32Array;
}

/**
 * Runs `steps` steps of `env` with the given actions ([steps, N, actionWords], i32 for
 * discrete, f32 for box) in ONE submit, copying each step's outputs into history buffers on
 * the GPU, and reads the histories back. For tests and debugging (it awaits the GPU).
 */
export async function rolloutGpuEnv(
  gpu: Gpu,
  env: GpuVecEnv,
  actions: Int32Array | Float32Array,
  steps: number,
): Promise<GpuRollout> {
  const n = env.numEnvs;
  const aw = actionWords(env.spec);
  const ow = obsWords(env.spec);
  if (actions.length !== steps * n * aw) {
    throw new RangeError(
      `rolloutGpuEnv: actions has ${actions.length} elements, expected [${steps}, ${n}, ${aw}] ` +
        `= ${steps * n * aw}`,
    );
  }
  const b = env.buffers;
  const actionHist = createStorageBuffer(gpu, actions, "rollout.actions");
  const obsHist = createStorageBuffer(gpu, steps * n * ow * 4, "rollout.obs");
  const rewardHist = createStorageBuffer(gpu, steps * n * 4, "rollout.reward");
  const termHist = createStorageBuffer(gpu, steps * n * 4, "rollout.terminated");
  const truncHist = createStorageBuffer(gpu, steps * n * 4, "rollout.truncated");
  const finalHist = createStorageBuffer(gpu, steps * n * ow * 4, "rollout.finalObs");
  const encoder = gpu.device.createCommandEncoder();
  const plan = env.stepPlan();
  for (let t = 0; t < steps; t++) {
    encoder.copyBufferToBuffer(actionHist, t * n * aw * 4, b.actions, 0, n * aw * 4);
    const pass = encoder.beginComputePass();
    encodePlan(pass, plan);
    pass.end();
    encoder.copyBufferToBuffer(b.obs, 0, obsHist, t * n * ow * 4, n * ow * 4);
    encoder.copyBufferToBuffer(b.reward, 0, rewardHist, t * n * 4, n * 4);
    encoder.copyBufferToBuffer(b.terminated, 0, termHist, t * n * 4, n * 4);
    encoder.copyBufferToBuffer(b.truncated, 0, truncHist, t * n * 4, n * 4);
    encoder.copyBufferToBuffer(b.finalObs, 0, finalHist, t * n * ow * 4, n * ow * 4);
  }
  gpu.device.queue.submit([encoder.finish()]);
  const obsBytes = await readBuffer(gpu, obsHist, 0, steps * n * ow * 4);
  const finalBytes = await readBuffer(gpu, finalHist, 0, steps * n * ow * 4);
  const f32 = env.spec.obs.dtype === "f32";
  const out: GpuRollout = {
    obs: f32 ? new Float32Array(obsBytes) : new Uint32Array(obsBytes),
    finalObs: f32 ? new Float32Array(finalBytes) : new Uint32Array(finalBytes),
    reward: new Float32Array(await readBuffer(gpu, rewardHist, 0, steps * n * 4)),
    terminated: new Uint32Array(await readBuffer(gpu, termHist, 0, steps * n * 4)),
    truncated: new Uint32Array(await readBuffer(gpu, truncHist, 0, steps * n * 4)),
  };
  for (const buf of [actionHist, obsHist, rewardHist, termHist, truncHist, finalHist]) {
    buf.destroy();
  }
  return out;
}

/** Reads the env's current obs, reward and flags back (awaits the GPU; tests only). */
export async function readGpuEnvStep(gpu: Gpu, env: GpuVecEnv): Promise<GpuRollout> {
  const n = env.numEnvs;
  const b = env.buffers;
  const obsBytes = await readBuffer(gpu, b.obs, 0, n * obsWords(env.spec) * 4);
  const finalBytes = await readBuffer(gpu, b.finalObs, 0, n * obsWords(env.spec) * 4);
  const f32 = env.spec.obs.dtype === "f32";
  return {
    obs: f32 ? new Float32Array(obsBytes) : new Uint32Array(obsBytes),
    finalObs: f32 ? new Float32Array(finalBytes) : new Uint32Array(finalBytes),
    reward: new Float32Array(await readBuffer(gpu, b.reward, 0, n * 4)),
    terminated: new Uint32Array(await readBuffer(gpu, b.terminated, 0, n * 4)),
    truncated: new Uint32Array(await readBuffer(gpu, b.truncated, 0, n * 4)),
  };
}
