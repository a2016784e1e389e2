/**
 * The A2C configuration: one typed object with documented defaults (the A3C paper's and
 * common A2C practice: Stable-Baselines3, CleanRL), presets per env, and validation at the
 * door that names the field, the value and what is allowed.
 *
 * @module
 */

import { BACKEND_REQUESTS, type BackendRequest } from "../../gpu/device.ts";
import { INIT_SCHEMES, type InitScheme } from "../../nn/params.ts";

/** Every setting of an A2C run. */
export interface A2cConfig {
  /** Environment name (see ENV_NAMES). */
  env: string;
  /** Environment options (e.g. Pong's frameSize). */
  envOptions: Record<string, number>;
  /** Environments stepped in lockstep, N. */
  numEnvs: number;
  /** Rollout length T (steps per env per update); the A3C paper's t_max. */
  rolloutSteps: number;
  /** Budget in environment steps (all envs together); training stops there. */
  totalSteps: number;
  /** Discount γ in (0, 1]. */
  gamma: number;
  /** GAE λ in [0, 1]; 1 gives the A3C paper's n-step returns. */
  gaeLambda: number;
  /** Initial learning rate. */
  lr: number;
  /** Anneal the learning rate linearly to 0 over `totalSteps`. */
  annealLr: boolean;
  /** Optimizer: RMSProp (the paper's form) or Adam. */
  optimizer: "rmsprop" | "adam";
  /** RMSProp decay α. */
  rmsAlpha: number;
  /** RMSProp ε (inside the square root, as the paper writes it). */
  rmsEps: number;
  /**
   * RMSProp: the mean square's starting value: 0 (the paper's and PyTorch's; the first
   * updates are 10·lr per parameter) or 1 (TensorFlow's, as the OpenAI baselines' A2C and
   * Stable-Baselines3's `RMSpropTFLike`).
   */
  rmsInit: number;
  /** Value loss coefficient. */
  valueCoef: number;
  /** Entropy bonus coefficient β. */
  entropyCoef: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradNorm: number;
  /** Network: an MLP for vector observations, the A3C FF conv net or the conv+LSTM net. */
  net: "auto" | "mlp" | "ff" | "lstm";
  /** Hidden layer sizes of the MLP. */
  hidden: number[];
  /**
   * Parameter initialisation: `uniform` (PyTorch's default, ±1/√fan-in; the policy layer
   * ×0.01) or `orthogonal` (gain √2, policy 0.01, value 1, zero biases: the baselines' and
   * CleanRL's for Atari).
   */
  init: InitScheme;
  /** Seed of everything (init, envs, sampling). */
  seed: number;
  /** Compute backend. */
  backend: BackendRequest;
  /** Iterations between log records (each reads statistics back asynchronously). */
  logEvery: number;
}

/** Defaults shared by every env; presets override per env. */
export const A2C_DEFAULTS: Readonly<A2cConfig> = {
  env: "catch",
  envOptions: {},
  numEnvs: 16,
  rolloutSteps: 5,
  totalSteps: 100_000,
  gamma: 0.99,
  gaeLambda: 1,
  lr: 7e-4,
  annealLr: true,
  optimizer: "rmsprop",
  rmsAlpha: 0.99,
  rmsEps: 1e-5,
  rmsInit: 0,
  valueCoef: 0.5,
  entropyCoef: 0.01,
  maxGradNorm: 0.5,
  net: "auto",
  hidden: [64, 64],
  init: "uniform",
  seed: 1,
  backend: "auto",
  logEvery: 20,
};

/** Per-env presets (tuned on these envs; see the README's table). */
export const A2C_PRESETS: Readonly<Record<string, Partial<A2cConfig>>> = {
  catch: {
    numEnvs: 16,
    rolloutSteps: 5,
    totalSteps: 60_000,
    lr: 7e-3,
    annealLr: false,
    hidden: [32],
  },
  cartpole: { numEnvs: 8, rolloutSteps: 5, totalSteps: 200_000, lr: 3e-3, entropyCoef: 0 },
  pendulum: {
    numEnvs: 16,
    rolloutSteps: 8,
    totalSteps: 1_000_000,
    lr: 7e-4,
    gamma: 0.9,
    gaeLambda: 0.9,
    entropyCoef: 0,
  },
  pong: { numEnvs: 256, rolloutSteps: 5, totalSteps: 20_000_000, lr: 7e-4, net: "ff" },
  breakout: { numEnvs: 256, rolloutSteps: 5, totalSteps: 20_000_000, lr: 7e-4, net: "ff" },
};

/** What each numeric field allows: [min, max, min inclusive, max inclusive, integer]. */
const RANGES: Record<string, [number, number, boolean, boolean, boolean]> = {
  numEnvs: [1, 1 << 20, true, true, true],
  rolloutSteps: [1, 4096, true, true, true],
  totalSteps: [1, Number.MAX_SAFE_INTEGER, true, true, true],
  gamma: [0, 1, false, true, false],
  gaeLambda: [0, 1, true, true, false],
  lr: [0, 1, false, true, false],
  rmsAlpha: [0, 1, true, false, false],
  rmsEps: [0, 1, false, true, false],
  rmsInit: [0, 1e6, true, true, false],
  valueCoef: [0, 1e6, true, true, false],
  entropyCoef: [0, 1e6, true, true, false],
  maxGradNorm: [0, 1e9, true, true, false],
  seed: [0, 0xffffffff, true, true, true],
  logEvery: [1, 1e9, true, true, true],
};

function describeRange([lo, hi, loIn, hiIn, int]: [number, number, boolean, boolean, boolean]) {
  const kind = int ? "an integer in " : "";
  return `${kind}${loIn ? "[" : "("}${lo}, ${hi}${hiIn ? "]" : ")"}`;
}

/**
 * Resolves a config: defaults, then the env's preset, then `overrides`. Refuses unknown
 * fields and out-of-range values with one message listing every problem (field, value,
 * allowed), before any GPU work.
 */
export function resolveA2cConfig(overrides: Partial<A2cConfig> = {}): A2cConfig {
  const env = overrides.env ?? A2C_DEFAULTS.env;
  const config = { ...A2C_DEFAULTS, ...(A2C_PRESETS[env] ?? {}), ...overrides } as A2cConfig;
  const problems: string[] = [];
  for (const key of Object.keys(overrides)) {
    if (!(key in A2C_DEFAULTS)) {
      problems.push(`${key}: unknown field; allowed: ${Object.keys(A2C_DEFAULTS).join(", ")}`);
    }
  }
  for (const [field, range] of Object.entries(RANGES)) {
    const value = (config as unknown as Record<string, number>)[field];
    const [lo, hi, loIn, hiIn, int] = range;
    const ok = typeof value === "number" && Number.isFinite(value) &&
      (loIn ? value >= lo : value > lo) && (hiIn ? value <= hi : value < hi) &&
      (!int || Number.isInteger(value));
    if (!ok) {
      const got = typeof value === "number"
        ? `${value}`
        : `a ${typeof value} ${JSON.stringify(value)}`;
      const kind = typeof value === "number" ? "" : "a number in ";
      problems.push(`${field}: got ${got}, allowed ${kind}${describeRange(range)}`);
    }
  }
  const enums: [keyof A2cConfig, readonly string[]][] = [
    ["optimizer", ["rmsprop", "adam"]],
    ["net", ["auto", "mlp", "ff", "lstm"]],
    ["init", INIT_SCHEMES],
    ["backend", BACKEND_REQUESTS],
  ];
  for (const [field, allowed] of enums) {
    const value = config[field];
    if (!allowed.includes(value as string)) {
      problems.push(`${field}: got ${JSON.stringify(value)}, allowed: ${allowed.join(", ")}`);
    }
  }
  if (!Array.isArray(config.hidden) || config.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    problems.push(`hidden: got ${JSON.stringify(config.hidden)}, allowed: positive integers`);
  }
  if (typeof config.annealLr !== "boolean") {
    problems.push(`annealLr: got ${JSON.stringify(config.annealLr)}, allowed: true, false`);
  }
  if (problems.length) throw new RangeError(`invalid A2C config:\n  ${problems.join("\n  ")}`);
  return config;
}
