/**
 * The one CPU scaffold of every env, the twin of the WGSL entry template
 * `shaders/envs/entry.wgsl` (same order): it owns reset, auto-reset, the time limit, the
 * truncation flags, the final observations and the episode statistics, so that an env is
 * only its constants, its state layout and four functions over one copy (gymnax's shape):
 *
 * - `spawn(i)`: a new episode of copy `i` (its own state words only);
 * - `stepOne(i, action)`: one step of copy `i`; returns the reward (exact in f32);
 * - `isTerminal(i)`: whether copy `i`'s state is terminal;
 * - `writeObs(i, fresh)`: copy `i`'s observation into `obs` (`fresh` right after `spawn`).
 *
 * ## The step of one copy (both forms)
 * 1. r = stepOne(i, action); the episode's steps and return (an f32 sum of the rewards) grow;
 * 2. terminated = isTerminal(i); truncated = not terminated and steps ≥ maxEpisodeSteps
 *    (when the spec has a limit);
 * 3. unless terminated, the observation is written; where truncated, it is copied into
 *    `finalObs` (the observation the limit cut off);
 * 4. where the episode ended, its return and length go into the episode ring and the copy is
 *    spawned again (auto-reset), so `obs` holds the next episode's first observation.
 *
 * ## State
 * One Int32Array, struct-of-arrays: word k of copy i at `k·N + i`. Words [0, stateWords) are
 * the env's; the scaffold keeps three after them: STEPS, RET (f32 bits) and COUNTER (the
 * copy's RNG counter, read through `draw`).
 *
 * @module
 */

import { checkContinuousActions, checkDiscreteActions } from "./actions.ts";
import { checkRenderIndex } from "./draw.ts";
import {
  clearEpisodeRing,
  createEpisodeRing,
  decodeEpisodeRing,
  recordEpisode,
} from "./episodes.ts";
import { checkNumEnvs } from "./options.ts";
import type { CpuVecEnv, EnvSpec, Frame } from "./types.ts";
import { randU32 } from "../util/rng.ts";

/** State words the scaffold keeps per copy after the env's own (steps, return, RNG counter). */
export const SCAFFOLD_WORDS = 3;

/** What the scaffold hands to an env's functions: the state of all N copies. */
export interface EnvState {
  /** Number of copies N. */
  readonly n: number;
  /** The state, struct-of-arrays: word k of copy i at `k·N + i`. */
  readonly state: Int32Array;
  /** The next random u32 of copy `i` (twin of `draw` in entry.wgsl). */
  draw(i: number): number;
  /** Agent steps of copy `i`'s episode so far. */
  steps(i: number): number;
}

/** One env's functions over one copy (see the module doc). */
export interface EnvHooks {
  /** A new episode of copy `i`: writes the env's own state words. */
  spawn(i: number): void;
  /** One step of copy `i` with `action`; returns the reward. */
  stepOne(i: number, action: number): number;
  /** Whether copy `i`'s state is terminal. */
  isTerminal(i: number): boolean;
  /** Writes copy `i`'s observation into `obs` (`fresh`: right after `spawn`). */
  writeObs(i: number, fresh: boolean): void;
  /** Draws copy `i` for people (the scaffold checks the index). */
  render(i: number): Frame;
}

/** What {@link makeCpuVecEnv} needs. */
export interface CpuEnvDef {
  /** The env's spec (obs and action shapes size the arrays; its time limit truncates). */
  readonly spec: EnvSpec;
  /** The env's own state words per copy. */
  readonly stateWords: number;
  /** Number of copies N. */
  readonly numEnvs: number;
  /** Builds the env's functions over the scaffold's state and observation arrays. */
  hooks(s: EnvState, obs: Float32Array | Uint8Array): EnvHooks;
}

/** The CPU form plus the scaffold's state, for envs that expose more (Pong's `peek`). */
export interface ScaffoldCpuEnv extends CpuVecEnv {
  /** The state of all copies, as handed to the env's functions. */
  readonly env: EnvState;
}

/** Builds the CPU form (twin) of N copies of an env from its functions. */
export function makeCpuVecEnv(def: CpuEnvDef): ScaffoldCpuEnv {
  const { spec } = def;
  const n = checkNumEnvs(spec.name, def.numEnvs);
  const size = spec.obs.shape.reduce((a, b) => a * b, 1);
  const obs = spec.obs.dtype === "u8" ? new Uint8Array(n * size) : new Float32Array(n * size);
  const finalObs = spec.obs.dtype === "u8" ? new Uint8Array(n * size) : new Float32Array(n * size);
  const reward = new Float32Array(n);
  const terminated = new Uint8Array(n);
  const truncated = new Uint8Array(n);
  const ring = createEpisodeRing();
  const STEPS = def.stateWords;
  const RET = STEPS + 1;
  const COUNTER = STEPS + 2;
  const state = new Int32Array(n * (def.stateWords + SCAFFOLD_WORDS));
  const stateF32 = new Float32Array(state.buffer);
  const st = (k: number, i: number) => k * n + i;
  let seed = 0;
  const s: EnvState = {
    n,
    state,
    draw(i: number): number {
      const c = state[st(COUNTER, i)] >>> 0;
      state[st(COUNTER, i)] = (c + 1) | 0;
      return randU32(seed, i, c);
    },
    steps: (i: number) => state[st(STEPS, i)],
  };
  const env = def.hooks(s, obs);
  const maxSteps = spec.maxEpisodeSteps;
  const action = spec.action;

  function newEpisode(i: number): void {
    state[st(STEPS, i)] = 0;
    state[st(RET, i)] = 0;
    env.spawn(i);
  }

  return {
    spec,
    numEnvs: n,
    obs,
    reward,
    terminated,
    truncated,
    finalObs,
    env: s,
    reset(sd: number): void {
      seed = sd >>> 0;
      clearEpisodeRing(ring);
      for (let i = 0; i < n; i++) {
        state[st(COUNTER, i)] = 0;
        newEpisode(i);
        env.writeObs(i, true);
        reward[i] = 0;
        terminated[i] = 0;
        truncated[i] = 0;
      }
    },
    step(actions: Int32Array | Float32Array): void {
      if (action.kind === "discrete") checkDiscreteActions(spec.name, actions, n, action.n);
      else {
        checkContinuousActions(
          spec.name,
          actions,
          n,
          `a number (clipped to [${action.low}, ${action.high}])`,
        );
      }
      for (let i = 0; i < n; i++) {
        const r = env.stepOne(i, actions[i]);
        const steps = state[st(STEPS, i)] + 1;
        state[st(STEPS, i)] = steps;
        stateF32[st(RET, i)] += r; // rounded to f32 on store, as the WGSL's f32 sum
        const term = env.isTerminal(i);
        const trunc = !term && maxSteps > 0 && steps >= maxSteps;
        if (!term) env.writeObs(i, false);
        if (trunc) finalObs.set(obs.subarray(i * size, (i + 1) * size), i * size);
        if (term || trunc) {
          recordEpisode(ring, stateF32[st(RET, i)], steps);
          newEpisode(i);
          env.writeObs(i, true);
        }
        reward[i] = r;
        terminated[i] = term ? 1 : 0;
        truncated[i] = trunc ? 1 : 0;
      }
    },
    episodeStats: () => decodeEpisodeRing(ring.words),
    render(index: number): Frame {
      checkRenderIndex(spec.name, index, n);
      return env.render(index);
    },
  };
}
