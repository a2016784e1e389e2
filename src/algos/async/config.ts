/**
 * Configuration of the asynchronous methods of Mnih et al. (2016), "Asynchronous Methods for
 * Deep Reinforcement Learning": A3C and the three asynchronous value-based methods (one-step
 * Q-learning, one-step Sarsa, n-step Q-learning). One typed object per algorithm family
 * ({@link A3cConfig}, {@link AsyncQConfig}) over shared fields ({@link AsyncCommonConfig}),
 * whose fields, defaults and bounds are the tables `A3C_FIELDS` and `ASYNC_Q_FIELDS`
 * (`../config_fields.ts`; listed in `docs/config.md`), with presets per env and validation at
 * the door that names the field, the value and what is allowed.
 *
 * Defaults follow the paper and its authors' notes: shared RMSProp with α = 0.99, ε = 0.1,
 * learning rate 7e-4 annealed linearly to 0 over the global step budget, per-worker
 * gradient-norm clip 40, entropy β = 0.01, value loss coefficient 0.5, t_max = 5, γ = 0.99.
 * Q family: a target network θ⁻ refreshed every `targetUpdateEvery` global steps and
 * ε-greedy exploration where each worker anneals ε from 1 to its own final ε drawn from
 * {0.1, 0.01, 0.5} with probabilities {0.4, 0.3, 0.3} over `epsilonAnnealSteps` global steps.
 *
 * @module
 */

import type { A3cConfig, AsyncCommonConfig, AsyncQConfig } from "../config_types.ts";
import { A3C_FIELDS, ASYNC_Q_FIELDS } from "../config_fields.ts";
import { type AnyFieldTable, checkFields, defaultsOf, unknownFields } from "../fields.ts";

export type { A3cConfig, AsyncCommonConfig, AsyncQConfig } from "../config_types.ts";
export { MAX_GLOBAL_STEPS } from "../config_fields.ts";

/** The four asynchronous methods. */
export type AsyncAlgo = "a3c" | "one-step-q" | "one-step-sarsa" | "n-step-q";

/** Names of the asynchronous methods, for validation and command lines. */
export const ASYNC_ALGOS: readonly AsyncAlgo[] = [
  "a3c",
  "one-step-q",
  "one-step-sarsa",
  "n-step-q",
];

/** A config of any asynchronous method. */
export type AsyncConfig = A3cConfig | AsyncQConfig;

/** Overrides of any field of any method (the `algo` field selects the family). */
export type AsyncOverrides = Partial<A3cConfig> | Partial<AsyncQConfig>;

/** Defaults of A3C (the paper's values). */
export const A3C_DEFAULTS: Readonly<A3cConfig> = defaultsOf(A3C_FIELDS);

/** Defaults of the Q family (target refresh every 40k global steps as for Atari). */
export const ASYNC_Q_DEFAULTS: Readonly<AsyncQConfig> = defaultsOf(ASYNC_Q_FIELDS);

/** Defaults shared by every asynchronous method. */
export const ASYNC_COMMON_DEFAULTS: Readonly<AsyncCommonConfig> = (() => {
  const { algo: _algo, entropyCoef: _e, valueCoef: _v, ...common } = A3C_DEFAULTS;
  return common;
})();

/**
 * Per-env presets of each family. Catch learns in seconds with 2 workers; Pong uses the
 * paper's Atari settings (FF net, reward clipping, 16 workers).
 */
export const ASYNC_PRESETS: Readonly<{
  a3c: Readonly<Record<string, Partial<A3cConfig>>>;
  q: Readonly<Record<string, Partial<AsyncQConfig>>>;
}> = {
  a3c: {
    catch: { workers: 2, totalSteps: 100_000, lr: 1e-2, hidden: [32] },
    cartpole: { workers: 4, totalSteps: 400_000, lr: 3e-3, entropyCoef: 0.01, tMax: 20 },
    pong: {
      workers: 16,
      totalSteps: 20_000_000,
      net: "ff",
      clipRewards: true,
      logEvery: 50_000,
    },
    breakout: {
      workers: 16,
      totalSteps: 20_000_000,
      net: "ff",
      clipRewards: true,
      logEvery: 50_000,
    },
  },
  q: {
    catch: {
      workers: 2,
      totalSteps: 300_000,
      lr: 1e-2,
      hidden: [32],
      targetUpdateEvery: 200,
      epsilonAnnealSteps: 10_000,
    },
    cartpole: {
      workers: 4,
      totalSteps: 400_000,
      lr: 1e-3,
      targetUpdateEvery: 5_000,
      epsilonAnnealSteps: 100_000,
    },
    pong: {
      workers: 16,
      totalSteps: 20_000_000,
      net: "ff",
      clipRewards: true,
      targetUpdateEvery: 40_000,
      epsilonAnnealSteps: 4_000_000,
      logEvery: 50_000,
    },
  },
};

/**
 * Pong on a machine without a GPU: A3C (the paper's CPU method) with one worker per core on
 * 42×42×4 frames with the FF net (a quarter of the 84×84 net's work a step), rewards clipped,
 * RMSProp with ε 1e-5 (with the paper's ε 0.1 inside the square root, per-parameter gradients
 * of about 0.007 make steps of about lr/40, and the policy stayed uniform for 340k steps), lr
 * 7e-4 annealed linearly to 0 over a 12M-step budget (held constant, runs stalled at +2 to +5).
 * Frame skip 2, not Atari's 4: the paddle then moves 6 units an agent step, not 12, against a
 * 20-unit reach, and a scripted player that aims scores +20.9 instead of +17.75
 * (`scripts/pong_points.ts --aimer`); the time limit stays 108k frames (54,000 steps). tMax 20
 * (a quarter of the updates of tMax 5, twice the env steps a second) and an entropy bonus of
 * 0.003 annealed to 0 with the lr (held, the sampled policy's spread cost the last points).
 * Antialiased frames (each pixel the average of the square it covers): a 42×42 pixel spans 3.8
 * units, and the points are lost to aims a few units off. `examples/a2c_pong.ts` runs it when
 * there is no GPU; the README's "Pong" section has what it reached and what each setting gained.
 */
export function pongCpuPreset(cores: number): Partial<A3cConfig> {
  return {
    algo: "a3c",
    env: "pong",
    envOptions: { frameSize: 42, frameSkip: 2, maxEpisodeSteps: 54_000, antialias: true },
    net: "ff",
    workers: Math.max(1, Math.min(16, Math.floor(cores))),
    totalSteps: 16_000_000,
    tMax: 20,
    lr: 7e-4,
    annealLr: true,
    entropyCoef: 0.003,
    annealEntropy: true,
    rmsEps: 1e-5,
    clipRewards: true,
    logEvery: 20_000,
  };
}

/**
 * Breakout on a machine without a GPU: A3C, a worker a core, 42×42×4 frames at Atari's frame
 * skip 4, the FF net, rewards clipped, RMSProp ε 1e-5, lr 7e-4 annealed over 3M steps (the
 * Pong preset before it moved to frame skip 2 and tMax 20). The README's "Breakout" section has
 * what it reached.
 */
export function breakoutCpuPreset(cores: number): Partial<A3cConfig> {
  return {
    algo: "a3c",
    env: "breakout",
    envOptions: { frameSize: 42 },
    net: "ff",
    workers: Math.max(1, Math.min(16, Math.floor(cores))),
    totalSteps: 3_000_000,
    lr: 7e-4,
    annealLr: true,
    rmsEps: 1e-5,
    clipRewards: true,
    logEvery: 20_000,
  };
}

/** True for the value-based methods (one-step Q, one-step Sarsa, n-step Q). */
export function isQAlgo(algo: AsyncAlgo): algo is AsyncQConfig["algo"] {
  return algo !== "a3c";
}

/**
 * Resolves a config: the family's defaults, then the env's preset, then `overrides`.
 * Refuses an unknown algo, unknown fields (including fields of the other family) and
 * out-of-range values with one RangeError listing every problem as
 * `field: got <value>, allowed <what>`.
 */
export function resolveAsyncConfig(overrides: AsyncOverrides = {}): AsyncConfig {
  const algo = overrides.algo ?? "a3c";
  if (!ASYNC_ALGOS.includes(algo)) {
    throw new RangeError(
      `invalid async config:\n  algo: got ${JSON.stringify(algo)}, allowed: ${
        ASYNC_ALGOS.join(", ")
      }`,
    );
  }
  const q = isQAlgo(algo);
  const defaults: AsyncConfig = q ? { ...ASYNC_Q_DEFAULTS, algo } : A3C_DEFAULTS;
  const env = overrides.env ?? defaults.env;
  const preset = (q ? ASYNC_PRESETS.q : ASYNC_PRESETS.a3c)[env] ?? {};
  const config = { ...defaults, ...preset, ...overrides, algo } as AsyncConfig;
  const fields: AnyFieldTable = q ? ASYNC_Q_FIELDS : A3C_FIELDS;
  const problems = unknownFields(fields, overrides).map((key) =>
    `${key}: unknown field for algo ${algo}; allowed: ${Object.keys(fields).join(", ")}`
  );
  problems.push(...checkFields(fields, config));
  // Each list's own bounds are checked above; their agreement only when both passed.
  if (config.algo !== "a3c" && !problems.some((p) => p.startsWith("finalEpsilon"))) {
    const problem = checkEpsilonProbs(config);
    if (problem) problems.push(problem);
  }
  if (problems.length) throw new RangeError(`invalid async config:\n  ${problems.join("\n  ")}`);
  return config;
}

/** The Q family's rule across two fields: one probability per final ε, summing to 1. */
function checkEpsilonProbs(config: AsyncQConfig): string | undefined {
  const { finalEpsilons: eps, finalEpsilonProbs: probs } = config;
  const sum = probs.reduce((a, b) => a + b, 0);
  if (probs.length === eps.length && Math.abs(sum - 1) <= 1e-6) return undefined;
  return `finalEpsilonProbs: got ${JSON.stringify(probs)}, allowed: ${eps.length} numbers in ` +
    "[0, 1] summing to 1 (one per final ε)";
}
