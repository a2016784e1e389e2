/**
 * The one GPU form of every env: give it a {@link GpuEnvKernel} (the env's shader, its state
 * words and its pipeline constants) and it allocates the {@link GpuEnvBuffers}, records the
 * `reset` and `step` dispatches (plus `render` and `render_final` for pixel games) and reads
 * the episode ring back. Every env (Catch, CartPole, Pendulum, Pong, Breakout) is built
 * with it.
 *
 * ## The shader contract
 * An env shader `shaders/envs/<name>.wgsl` includes one layer, which includes the entry
 * template `shaders/envs/entry.wgsl` (the `reset` and `step` entry points: reset, auto-reset,
 * time limit, truncation flags, episode ring; twin: `src/envs/scaffold.ts`):
 * - `envs/direct.wgsl`: the env's step writes its observation (`write_obs`);
 * - `envs/arcade.wgsl`: a pixel game (frame skip, sticky actions, no-op starts, the frame
 *   stack); its observation is drawn by the `render` entry point, one invocation per obs word,
 *   and its final observation by `render_final` (twin: `src/envs/arcade.ts`).
 * Entry points use {@link ENV_WORKGROUP_SIZE} (the per-copy ones) or
 * {@link RENDER_WORKGROUP_SIZE} (`render`), one invocation per copy or per obs word.
 *
 * | binding | variable                        | declared in  | type                                  |
 * |---------|---------------------------------|--------------|---------------------------------------|
 * | 0       | `env: EnvParams {n, seed}`      | common.wgsl  | uniform                               |
 * | 1       | `state`                         | entry.wgsl   | `array<i32>`, rw                      |
 * | 2       | `obs`                           | the env      | `array<f32>` (f32) / `array<u32>` (u8 packed 4 a word), rw |
 * | 3       | `reward`                        | common.wgsl  | `array<f32>`, rw                      |
 * | 4       | `terminated`                    | common.wgsl  | `array<u32>`, rw                      |
 * | 5       | `truncated`                     | common.wgsl  | `array<u32>`, rw                      |
 * | 6       | `episodes` (the episode ring)   | common.wgsl  | `EpisodeRing`, rw                     |
 * | 7       | `actions`                       | the env      | `array<i32>` (discrete) / `array<f32>` (box), read |
 * | 8       | `final_obs`                     | the env / arcade.wgsl | like `obs`, rw               |
 *
 * Pipelines use `layout: "auto"`, which drops unused bindings, so each entry point is bound
 * to exactly what it uses: direct envs' `reset` 0..6 and `step` 0..8; a pixel game's
 * `reset` 0, 1, 3..6, `step` 0, 1, 3..7, `render` 0..2 and `render_final` 0, 1, 5, 8.
 * The builder passes `MAX_STEPS` (0: no limit) and `OBS_WORDS` with the env's constants.
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
import { type Dispatch, encodePlan, makeDispatch1d, type Plan, runPlan } from "../gpu/plan.ts";
import { decodeEpisodeRing, EPISODE_RING_WORDS } from "./episodes.ts";
import { checkNumEnvs } from "./options.ts";
import { SCAFFOLD_WORDS } from "./scaffold.ts";
import type { EnvSpec, EpisodeStats, GpuEnvBuffers, GpuVecEnv } from "./types.ts";

/** Workgroup size of every env kernel's `reset` and `step` (one invocation per copy). */
export const ENV_WORKGROUP_SIZE = 64;

/** Workgroup size of a pixel game's `render` entry point (one invocation per obs word). */
export const RENDER_WORKGROUP_SIZE = 256;

/** What the generic builder needs to know about one env's GPU kernels. */
export interface GpuEnvKernel {
  /** The env's static description (obs and action shapes size the buffers). */
  readonly spec: EnvSpec;
  /** Shader name: its path under `shaders/` without `.wgsl`, e.g. "envs/catch". */
  readonly shader: string;
  /** The env's own state words per copy (the scaffold adds {@link SCAFFOLD_WORDS}). */
  readonly stateWords: number;
  /** Pipeline-overridable constants of the shader (the env's constants, from its TS module). */
  readonly constants?: Record<string, number>;
  /** A pixel game (`envs/arcade.wgsl`): its obs is drawn by `render` and `render_final`. */
  readonly pixels?: boolean;
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
  /** The `step` dispatch (the first dispatch of `stepPlan()`). */
  readonly stepDispatch: Dispatch;
  /** Pixel games: the `render` dispatch, every obs word from the state. */
  readonly renderDispatch?: Dispatch;
  /** Pixel games: the `render_final` dispatch, the final obs of each copy the step truncated. */
  readonly renderFinalDispatch?: Dispatch;
}

/** The GPU form of a pixel game, whose render dispatches exist. */
export interface PixelGpuEnv extends GpuEnv {
  /** The `render` dispatch: every obs word from the state. */
  readonly renderDispatch: Dispatch;
  /** The `render_final` dispatch: the final obs of each copy the step truncated. */
  readonly renderFinalDispatch: Dispatch;
}

/** The GPU form of a pixel game (`kernel.pixels`), with its render dispatches typed. */
export async function makePixelGpuEnv(
  gpu: Gpu,
  kernel: GpuEnvKernel,
  numEnvs: number,
): Promise<PixelGpuEnv> {
  if (!kernel.pixels) throw new RangeError(`env ${kernel.spec.name}: not a pixel game`);
  return await makeGpuEnvFromKernel(gpu, kernel, numEnvs) as PixelGpuEnv;
}

/**
 * Builds the GPU form of `numEnvs` copies of an env from its kernel description: allocates
 * the buffers (zeroed), records `reset` and `step` (and `render`, `render_final` for pixel
 * games; `stepPlan()` is then [step, render, render_final]). Call `reset(seed)` before
 * stepping.
 */
export async function makeGpuEnvFromKernel(
  gpu: Gpu,
  kernel: GpuEnvKernel,
  numEnvs: number,
): Promise<GpuEnv> {
  const { spec, shader } = kernel;
  const n = checkNumEnvs(spec.name, numEnvs);
  const ow = obsWords(spec);
  if (n * ow > 0xffffffff) {
    throw new RangeError(
      `env ${spec.name}: numEnvs ${n} × ${ow} obs words exceeds 2^32 - 1 words (the obs index)`,
    );
  }
  const label = (what: string) => `${spec.name}.${what}`;
  const buffers: GpuEnvBuffers = {
    state: createStorageBuffer(
      gpu,
      n * (kernel.stateWords + SCAFFOLD_WORDS) * 4,
      label("state"),
    ),
    obs: createStorageBuffer(gpu, n * ow * 4, label("obs")),
    actions: createStorageBuffer(gpu, n * actionWords(spec) * 4, label("actions")),
    reward: createStorageBuffer(gpu, n * 4, label("reward")),
    terminated: createStorageBuffer(gpu, n * 4, label("terminated")),
    truncated: createStorageBuffer(gpu, n * 4, label("truncated")),
    finalObs: createStorageBuffer(gpu, n * ow * 4, label("final obs")),
    episodes: createStorageBuffer(gpu, EPISODE_RING_WORDS * 4, label("episodes")),
  };
  const params = createUniformBuffer(gpu, envParams(n, 0), label("params"));
  const b = buffers;
  const constants = {
    ...kernel.constants,
    MAX_STEPS: spec.maxEpisodeSteps,
    OBS_WORDS: ow,
  };
  const dispatch = (
    entryPoint: string,
    buffers: (GPUBuffer | undefined)[],
    count = n,
    wg = ENV_WORKGROUP_SIZE,
  ) => makeDispatch1d(gpu, { shader, entryPoint, buffers, n: count, wg, constants });
  const flags = [b.reward, b.terminated, b.truncated, b.episodes];
  // A pixel game's reset and step write no obs (its render pass does).
  const obs = kernel.pixels ? undefined : b.obs;
  const resetDispatch = await dispatch("reset", [params, b.state, obs, ...flags]);
  const stepDispatch = await dispatch(
    "step",
    [params, b.state, obs, ...flags, b.actions, kernel.pixels ? undefined : b.finalObs],
  );
  let renderDispatch: Dispatch | undefined;
  let renderFinalDispatch: Dispatch | undefined;
  if (kernel.pixels) {
    renderDispatch = await dispatch(
      "render",
      [params, b.state, b.obs],
      n * ow,
      RENDER_WORKGROUP_SIZE,
    );
    const u = undefined;
    renderFinalDispatch = await dispatch(
      "render_final",
      [params, b.state, u, u, u, b.truncated, u, u, b.finalObs],
    );
  }
  const plan: Plan = renderDispatch && renderFinalDispatch
    ? [stepDispatch, renderDispatch, renderFinalDispatch]
    : [stepDispatch];
  const afterReset = renderDispatch ? [resetDispatch, renderDispatch] : [resetDispatch];
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
      await runPlan(gpu, afterReset);
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
