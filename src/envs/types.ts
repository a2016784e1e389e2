/**
 * The vectorised environment API shared by every env, in two forms: a CPU form on typed
 * arrays (the TypeScript twin) and a GPU form whose state lives in buffers and whose kernels
 * are recorded into the caller's plans. Both step N copies in lockstep with automatic reset.
 *
 * Conventions (Gymnasium's, vectorised):
 * - `done = terminated | truncated`; a truncated copy (time limit) can be bootstrapped.
 * - After a copy finishes, `obs` already holds the first observation of its next episode
 *   (auto-reset); its finished episode's return and length go into the episode ring.
 * - Where a step truncated a copy's episode (time limit), `finalObs` holds the observation the
 *   episode ended in, so a learner can bootstrap from V(s_final) (Pardo et al. 2018;
 *   Stable-Baselines3's `terminal_observation`). Rows of the other copies keep what an
 *   earlier truncation wrote; `docs/architecture.md` says why this design.
 * - A seed fixes everything: same seed + same actions ⇒ the same trajectory, bit for bit, on
 *   both forms.
 *
 * @module
 */

import type { Plan } from "../gpu/plan.ts";

/** What an action is: one of `n` choices, or a box of `size` floats in [low, high]. */
export type ActionSpec =
  | { readonly kind: "discrete"; readonly n: number }
  | { readonly kind: "box"; readonly size: number; readonly low: number; readonly high: number };

/**
 * The observation of one copy: its shape and element type. `u8` observations (pixels) are
 * stored 4 bytes to a u32 word on the GPU (the shape's product is a multiple of 4) and as a
 * `Uint8Array` on the CPU; networks scale them by 1/255.
 */
export interface ObsSpec {
  /** Shape of one copy's observation, e.g. [4, 84, 84] (frames, height, width) or [4]. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: "f32" | "u8";
}

/** The static description of an env configuration. */
export interface EnvSpec {
  /** Registry name, e.g. "pong", "cartpole", "catch", "pendulum". */
  readonly name: string;
  /** Observation of one copy. */
  readonly obs: ObsSpec;
  /** Action of one copy. */
  readonly action: ActionSpec;
  /** Steps after which an episode is truncated (time limit); 0 for none. */
  readonly maxEpisodeSteps: number;
}

/** Capacity of the ring of finished episodes kept by each vectorised env. */
export const EPISODE_RING = 4096;

/** Episodes finished so far: the total count and the most recent returns and lengths. */
export interface EpisodeStats {
  /** Number of episodes finished since reset (all copies together). */
  readonly count: number;
  /** Returns of the most recent finished episodes (at most EPISODE_RING), oldest first. */
  readonly returns: Float32Array;
  /** Lengths in agent steps, aligned with `returns`. */
  readonly lengths: Uint32Array;
}

/** The CPU form of N copies of an env. Arrays are owned by the env and rewritten each step. */
export interface CpuVecEnv {
  /** The env's static description. */
  readonly spec: EnvSpec;
  /** Number of copies N. */
  readonly numEnvs: number;
  /** Current observations, N × prod(spec.obs.shape), copy-major. */
  readonly obs: Float32Array | Uint8Array;
  /** Reward of the last step per copy (summed over skipped frames). */
  readonly reward: Float32Array;
  /** 1 where the last step ended the episode by a terminal state. */
  readonly terminated: Uint8Array;
  /** 1 where the last step ended the episode by the time limit (and not terminal). */
  readonly truncated: Uint8Array;
  /**
   * The final observation of each copy the last step truncated, same layout as `obs`; written
   * only where `truncated` is 1 (other rows hold an earlier truncation's, or zeros).
   */
  readonly finalObs: Float32Array | Uint8Array;
  /** Resets every copy from `seed` (copy i draws from RNG stream i). */
  reset(seed: number): void;
  /**
   * Steps every copy: `actions` holds N action indices (discrete) or N × size floats (box).
   * Throws a RangeError naming the copy and the allowed range for an out-of-range action.
   */
  step(actions: Int32Array | Float32Array): void;
  /** Finished-episode statistics so far. */
  episodeStats(): EpisodeStats;
  /** Draws copy `index` as an RGB picture for people (PNG/GIF), larger than the observation. */
  render(index: number): Frame;
}

/** An RGB picture, row-major, 3 bytes a pixel. */
export interface Frame {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** width × height × 3 bytes (R, G, B). */
  readonly rgb: Uint8Array;
}

/**
 * The GPU buffers of N copies. Layouts match the CPU form: `obs` as f32, or u8 packed four
 * to a u32; `actions` i32 (discrete) or f32 (box); `reward` f32; `terminated`/`truncated`
 * u32 (0 or 1).
 */
export interface GpuEnvBuffers {
  /** Per-copy env state (layout private to the env). */
  readonly state: GPUBuffer;
  /** Current observations. */
  readonly obs: GPUBuffer;
  /** Actions for the next step, written by the policy. */
  readonly actions: GPUBuffer;
  /** Reward of the last step. */
  readonly reward: GPUBuffer;
  /** Terminal flags of the last step. */
  readonly terminated: GPUBuffer;
  /** Truncation flags of the last step. */
  readonly truncated: GPUBuffer;
  /**
   * Final observations, same layout as `obs`, written by the step kernel only where it
   * truncated a copy (envs with a time limit; see {@link CpuVecEnv.finalObs}).
   */
  readonly finalObs: GPUBuffer;
  /** Episode ring: [count: u32, then EPISODE_RING × (return f32, length u32)]. */
  readonly episodes: GPUBuffer;
}

/** The GPU form of N copies of an env. */
export interface GpuVecEnv {
  /** The env's static description. */
  readonly spec: EnvSpec;
  /** Number of copies N. */
  readonly numEnvs: number;
  /** The env's buffers, for the policy and the algorithm to bind. */
  readonly buffers: GpuEnvBuffers;
  /** Resets every copy from `seed` and waits until done. */
  reset(seed: number): Promise<void>;
  /** The dispatches of one step of every copy (reads `actions`, writes the rest). */
  stepPlan(): Plan;
  /** Reads back the finished-episode statistics (awaits the GPU: call at log intervals). */
  episodeStats(): Promise<EpisodeStats>;
}
