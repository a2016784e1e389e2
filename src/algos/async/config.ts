/**
 * Configuration of the asynchronous methods of Mnih et al. (2016), "Asynchronous Methods for
 * Deep Reinforcement Learning": A3C and the three asynchronous value-based methods (one-step
 * Q-learning, one-step Sarsa, n-step Q-learning). One typed object per algorithm family
 * ({@link A3cConfig}, {@link AsyncQConfig}) over shared fields ({@link AsyncCommonConfig}),
 * with the paper's defaults, presets per env, and validation at the door that names the
 * field, the value and what is allowed.
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

import { INIT_SCHEMES, type InitScheme } from "../../nn/params.ts";

/** The four asynchronous methods. */
export type AsyncAlgo = "a3c" | "one-step-q" | "one-step-sarsa" | "n-step-q";

/** Names of the asynchronous methods, for validation and command lines. */
export const ASYNC_ALGOS: readonly AsyncAlgo[] = [
  "a3c",
  "one-step-q",
  "one-step-sarsa",
  "n-step-q",
];

/** Settings shared by every asynchronous method. */
export interface AsyncCommonConfig {
  /** Environment name (see ENV_NAMES); each worker steps one copy (numEnvs = 1). */
  env: string;
  /** Environment options (e.g. Catch's rows/columns, Pong's frameSize). */
  envOptions: Record<string, number>;
  /** Actor-learner workers W (Deno workers, one thread each). */
  workers: number;
  /**
   * Budget in global steps T (environment steps of all workers together, counted with
   * Atomics on a shared Int32: at most 2³¹ − 1 − 2²⁰); workers stop once T reaches it.
   */
  totalSteps: number;
  /** Discount γ in (0, 1]. */
  gamma: number;
  /**
   * A3C and n-step Q: the rollout length t_max (a rollout also ends at episode end). One-step
   * Q and Sarsa: I_AsyncUpdate, the local steps over which gradients are accumulated before
   * one shared update (also applied at episode end).
   */
  tMax: number;
  /** Initial learning rate η of the shared RMSProp. */
  lr: number;
  /** Anneal η linearly to 0 over `totalSteps` global steps (the paper's schedule). */
  annealLr: boolean;
  /** RMSProp decay α (the statistics g are shared by all workers). */
  rmsAlpha: number;
  /** RMSProp ε, inside the square root: θ ← θ − η·Δθ/√(g + ε). */
  rmsEps: number;
  /** The shared mean square g's starting value: 0 (the paper's) or 1 (TensorFlow's). */
  rmsInit: number;
  /** Per-worker gradient-norm clip applied before each shared update; 0 turns it off. */
  maxGradNorm: number;
  /** Clip every reward to [−1, 1] before learning (the paper's Atari setting). */
  clipRewards: boolean;
  /**
   * Network: an MLP for vector observations, the A3C paper's feed-forward conv net, or the
   * conv + LSTM net (`lstm`: A3C only; each worker carries its LSTM state across rollouts,
   * reset at episode starts). `auto` picks `ff` for pixel observations and `mlp` otherwise.
   */
  net: "auto" | "mlp" | "ff" | "lstm";
  /** Hidden layer sizes of the MLP. */
  hidden: number[];
  /** Parameter initialisation: `uniform` (PyTorch's default) or `orthogonal` (see A2C's). */
  init: InitScheme;
  /**
   * Seed of the parameter initialisation; worker k seeds its env and its action sampling
   * (and its final ε) with `seed + k`.
   */
  seed: number;
  /** Global steps between log records. */
  logEvery: number;
  /**
   * Where the coordinator writes the checkpoint (safetensors) at the end of the run, after a
   * fault and after Ctrl-C; "" writes none.
   */
  checkpointPath: string;
  /** Also write the checkpoint every this many global steps; 0 writes it only at the end. */
  checkpointEvery: number;
  /** Seconds to wait for the workers to report done after the stop flag is set. */
  joinTimeoutSeconds: number;
  /**
   * TEST HOOK: worker `faultWorker` throws an error when its local step count reaches
   * `faultAtStep` (used to test fault handling). -1 (the default) turns it off.
   */
  faultWorker: number;
  /** TEST HOOK: the local step at which `faultWorker` throws (see there). */
  faultAtStep: number;
}

/** A3C: the asynchronous advantage actor-critic (the paper's Algorithm S3). */
export interface A3cConfig extends AsyncCommonConfig {
  /** The method. */
  algo: "a3c";
  /** Entropy bonus β. */
  entropyCoef: number;
  /** Value loss coefficient (of ½(R − V)²). */
  valueCoef: number;
}

/**
 * The asynchronous value-based methods (the paper's Algorithms 1, S1 and S2). The Q-network
 * reuses the categorical actor-critic network: its POLICY head's outputs are the Q-values
 * Q(s, ·); the value head is unused (its gradient is 0, so it never moves).
 */
export interface AsyncQConfig extends AsyncCommonConfig {
  /** The method: one-step Q-learning, one-step Sarsa or n-step Q-learning. */
  algo: "one-step-q" | "one-step-sarsa" | "n-step-q";
  /** I_target: global steps between copies θ⁻ ← θ of the target network. */
  targetUpdateEvery: number;
  /** Global steps over which each worker anneals ε from 1 to its final ε. */
  epsilonAnnealSteps: number;
  /** Final ε values a worker draws from (the paper's {0.1, 0.01, 0.5}). */
  finalEpsilons: number[];
  /** Probabilities of the final ε values (the paper's {0.4, 0.3, 0.3}); they sum to 1. */
  finalEpsilonProbs: number[];
}

/** A config of any asynchronous method. */
export type AsyncConfig = A3cConfig | AsyncQConfig;

/** Overrides of any field of any method (the `algo` field selects the family). */
export type AsyncOverrides = Partial<A3cConfig> | Partial<AsyncQConfig>;

/** Defaults shared by every asynchronous method (the paper's values). */
export const ASYNC_COMMON_DEFAULTS: Readonly<AsyncCommonConfig> = {
  env: "catch",
  envOptions: {},
  workers: 2,
  totalSteps: 100_000,
  gamma: 0.99,
  tMax: 5,
  lr: 7e-4,
  annealLr: true,
  rmsAlpha: 0.99,
  rmsEps: 0.1,
  rmsInit: 0,
  maxGradNorm: 40,
  clipRewards: false,
  net: "auto",
  hidden: [64, 64],
  init: "uniform",
  seed: 1,
  logEvery: 5_000,
  checkpointPath: "",
  checkpointEvery: 0,
  joinTimeoutSeconds: 10,
  faultWorker: -1,
  faultAtStep: 0,
};

/** Defaults of A3C. */
export const A3C_DEFAULTS: Readonly<A3cConfig> = {
  ...ASYNC_COMMON_DEFAULTS,
  algo: "a3c",
  entropyCoef: 0.01,
  valueCoef: 0.5,
};

/** Defaults of the Q family (target refresh every 40k global steps as for Atari). */
export const ASYNC_Q_DEFAULTS: Readonly<AsyncQConfig> = {
  ...ASYNC_COMMON_DEFAULTS,
  algo: "one-step-q",
  targetUpdateEvery: 40_000,
  epsilonAnnealSteps: 4_000_000,
  finalEpsilons: [0.1, 0.01, 0.5],
  finalEpsilonProbs: [0.4, 0.3, 0.3],
};

/**
 * Per-env presets of each family. Catch learns in seconds with 2 workers; Pong uses the
 * paper's Atari settings (FF net, reward clipping, 16 workers).
 */
export const ASYNC_PRESETS: Readonly<{
  a3c: Readonly<Record<string, Partial<A3cConfig>>>;
  q: Readonly<Record<string, Partial<AsyncQConfig>>>;
}> = {
  a3c: {
    catch: { workers: 2, totalSteps: 40_000, lr: 1e-2, annealLr: false, hidden: [32] },
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
 * 7e-4 constant,
 * a 10M-step budget. `examples/a2c_pong.ts` runs it when there is no GPU; the README's "Pong"
 * section has what it reached.
 */
export function pongCpuPreset(cores: number): Partial<A3cConfig> {
  return {
    algo: "a3c",
    env: "pong",
    envOptions: { frameSize: 42 },
    net: "ff",
    workers: Math.max(1, Math.min(16, Math.floor(cores))),
    totalSteps: 10_000_000,
    lr: 7e-4,
    annealLr: false,
    rmsEps: 1e-5,
    clipRewards: true,
    logEvery: 20_000,
  };
}

/**
 * Breakout on a machine without a GPU: {@link pongCpuPreset}'s settings (A3C, a worker a core,
 * 42×42×4 frames, the FF net, rewards clipped, RMSProp ε 1e-5, lr 7e-4 constant, 10M steps)
 * on Breakout. The README's "Breakout" section has what it reached.
 */
export function breakoutCpuPreset(cores: number): Partial<A3cConfig> {
  return { ...pongCpuPreset(cores), env: "breakout" };
}

/** The most global steps a run may ask for: the Int32 counter's range less a margin. */
export const MAX_GLOBAL_STEPS = 0x7fffffff - (1 << 20);

type Range = [number, number, boolean, boolean, boolean];

/** What each numeric field allows: [min, max, min inclusive, max inclusive, integer]. */
const COMMON_RANGES: Record<string, Range> = {
  workers: [1, 256, true, true, true],
  totalSteps: [1, MAX_GLOBAL_STEPS, true, true, true],
  gamma: [0, 1, false, true, false],
  tMax: [1, 4096, true, true, true],
  lr: [0, 1, false, true, false],
  rmsAlpha: [0, 1, true, false, false],
  rmsEps: [0, 1, false, true, false],
  rmsInit: [0, 1e6, true, true, false],
  maxGradNorm: [0, 1e9, true, true, false],
  seed: [0, 0xffffffff, true, true, true],
  logEvery: [1, MAX_GLOBAL_STEPS, true, true, true],
  checkpointEvery: [0, MAX_GLOBAL_STEPS, true, true, true],
  joinTimeoutSeconds: [0, 3600, false, true, false],
  faultWorker: [-1, 255, true, true, true],
  faultAtStep: [0, MAX_GLOBAL_STEPS, true, true, true],
};
const A3C_RANGES: Record<string, Range> = {
  entropyCoef: [0, 1e6, true, true, false],
  valueCoef: [0, 1e6, true, true, false],
};
const Q_RANGES: Record<string, Range> = {
  targetUpdateEvery: [1, MAX_GLOBAL_STEPS, true, true, true],
  epsilonAnnealSteps: [0, MAX_GLOBAL_STEPS, true, true, true],
};

function describeRange([lo, hi, loIn, hiIn, int]: Range): string {
  return `${int ? "an integer in " : ""}${loIn ? "[" : "("}${lo}, ${hi}${hiIn ? "]" : ")"}`;
}

function inRange(value: unknown, [lo, hi, loIn, hiIn, int]: Range): boolean {
  return typeof value === "number" && Number.isFinite(value) &&
    (loIn ? value >= lo : value > lo) && (hiIn ? value <= hi : value < hi) &&
    (!int || Number.isInteger(value));
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
  const problems: string[] = [];
  for (const key of Object.keys(overrides)) {
    if (!(key in defaults)) {
      problems.push(
        `${key}: unknown field for algo ${algo}; allowed: ${Object.keys(defaults).join(", ")}`,
      );
    }
  }
  const ranges = { ...COMMON_RANGES, ...(q ? Q_RANGES : A3C_RANGES) };
  const record = config as unknown as Record<string, unknown>;
  for (const [field, range] of Object.entries(ranges)) {
    if (!inRange(record[field], range)) {
      problems.push(
        `${field}: got ${
          typeof record[field] === "number"
            ? record[field]
            : `a ${typeof record[field]} ${JSON.stringify(record[field])}`
        }, allowed ${typeof record[field] === "number" ? "" : "a number in "}${
          describeRange(range)
        }`,
      );
    }
  }
  if (!INIT_SCHEMES.includes(config.init)) {
    problems.push(`init: got ${JSON.stringify(config.init)}, allowed: ${INIT_SCHEMES.join(", ")}`);
  }
  const nets = ["auto", "mlp", "ff", "lstm"];
  if (!nets.includes(config.net)) {
    problems.push(`net: got ${JSON.stringify(config.net)}, allowed: ${nets.join(", ")}`);
  }
  if (typeof config.env !== "string" || config.env.length === 0) {
    problems.push(`env: got ${JSON.stringify(config.env)}, allowed: a registered env name`);
  }
  if (config.envOptions === null || typeof config.envOptions !== "object") {
    problems.push(`envOptions: got ${JSON.stringify(config.envOptions)}, allowed: an object`);
  }
  if (!Array.isArray(config.hidden) || config.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    problems.push(`hidden: got ${JSON.stringify(config.hidden)}, allowed: positive integers`);
  }
  for (const field of ["annealLr", "clipRewards"] as const) {
    if (typeof config[field] !== "boolean") {
      problems.push(`${field}: got ${JSON.stringify(config[field])}, allowed: true, false`);
    }
  }
  if (typeof config.checkpointPath !== "string") {
    problems.push(
      `checkpointPath: got ${JSON.stringify(config.checkpointPath)}, allowed: a path or ""`,
    );
  }
  if (config.faultWorker >= config.workers) {
    problems.push(
      `faultWorker: got ${config.faultWorker}, allowed -1 (off) or a worker id in [0, ${
        config.workers - 1
      }]`,
    );
  }
  if (config.algo !== "a3c") checkEpsilons(config, problems);
  if (problems.length) throw new RangeError(`invalid async config:\n  ${problems.join("\n  ")}`);
  return config;
}

function checkEpsilons(config: AsyncQConfig, problems: string[]): void {
  const eps = config.finalEpsilons;
  const probs = config.finalEpsilonProbs;
  if (
    !Array.isArray(eps) || eps.length === 0 ||
    eps.some((e) => !inRange(e, [0, 1, true, true, false]))
  ) {
    problems.push(
      `finalEpsilons: got ${JSON.stringify(eps)}, allowed: a non-empty list of numbers in [0, 1]`,
    );
    return;
  }
  const sum = Array.isArray(probs) ? probs.reduce((a, b) => a + b, 0) : NaN;
  if (
    !Array.isArray(probs) || probs.length !== eps.length ||
    probs.some((p) => !inRange(p, [0, 1, true, true, false])) || Math.abs(sum - 1) > 1e-6
  ) {
    problems.push(
      `finalEpsilonProbs: got ${JSON.stringify(probs)}, allowed: ${eps.length} numbers in ` +
        "[0, 1] summing to 1 (one per final ε)",
    );
  }
}
