/**
 * What the CPU and GPU forms of A2C share: the network for an env, the statistics of an
 * iteration, the runner interface the training loop drives, and episode bookkeeping.
 *
 * @module
 */

import type { EnvSpec, EpisodeStats } from "../../envs/types.ts";
import type { OptimizerConfig, OptimizerState } from "../../nn/optim.ts";
import type { ParamLayout } from "../../nn/params.ts";
import {
  a3cFeedForwardNet,
  a3cLstmNet,
  mlpNet,
  type NetSpec,
  paramSpecs,
  resolveLayers,
  sizeOf,
} from "../../nn/model_spec.ts";
import { makeLayout } from "../../nn/params.ts";
import type { A2cConfig } from "./config.ts";

/**
 * The network for an env: an MLP for vector observations (`net: auto|mlp`), the A3C paper's
 * feed-forward conv net (`ff`, default for pixels) or the conv + LSTM net (`lstm`). Refuses a
 * net that does not fit the observation, naming both.
 */
export function netForEnv(env: EnvSpec, config: Pick<A2cConfig, "net" | "hidden">): NetSpec {
  const pixels = env.obs.shape.length === 3;
  const head = env.action.kind === "discrete"
    ? { kind: "categorical" as const, actions: env.action.n }
    : { kind: "gaussian" as const, actionSize: env.action.size };
  const net = config.net === "auto"
    ? (pixels && env.obs.dtype === "u8" ? "ff" : "mlp")
    : config.net;
  if (net === "mlp") {
    const inputs = env.obs.shape.reduce((a, b) => a * b, 1);
    const spec = mlpNet(inputs, head, config.hidden);
    return { ...spec, input: { shape: [inputs], dtype: env.obs.dtype } };
  }
  if (!pixels) {
    throw new RangeError(
      `net: ${net} needs [frames, height, width] pixel observations, but env ${env.name} ` +
        `observes [${env.obs.shape.join(", ")}]; use net mlp`,
    );
  }
  if (head.kind !== "categorical") {
    throw new RangeError(
      `net: ${net} supports discrete actions only; env ${env.name} is continuous`,
    );
  }
  const spec = net === "ff"
    ? a3cFeedForwardNet(env.obs.shape, head.actions, env.obs.dtype)
    : a3cLstmNet(env.obs.shape, head.actions, env.obs.dtype);
  resolveLayers(spec); // throws, naming the layer and shapes, when the net does not fit
  return spec;
}

/**
 * Refuses a rollout longer than the env's time limit: the runners keep one final observation
 * per env and rollout (see `docs/architecture.md`, "Truncation"), which is exact because a
 * truncated episode lasts the whole limit, so an env truncates at most once in T ≤ limit
 * steps.
 */
export function checkRolloutFitsTimeLimit(env: EnvSpec, rolloutSteps: number): void {
  const limit = env.maxEpisodeSteps;
  if (limit > 0 && rolloutSteps > limit) {
    throw new RangeError(
      `rolloutSteps: got ${rolloutSteps}, allowed at most env ${env.name}'s time limit ` +
        `${limit} (maxEpisodeSteps): a rollout keeps one final observation per env`,
    );
  }
}

/**
 * Estimates the memory an A2C run of `config` on `env` takes (bytes): parameters, gradients
 * and two optimizer slots (16 bytes a parameter), the rollout's observations, and the
 * activations of the acting (3 × N) and learning (T·N) batches, forward and backward.
 */
export function estimateA2cMemory(env: EnvSpec, config: A2cConfig): number {
  const net = netForEnv(env, config);
  const params = makeLayout(paramSpecs(net)).size;
  const layers = resolveLayers(net);
  const perSample = layers.reduce((sum, l) => sum + sizeOf(l.outShape), 0) + 16;
  const obsBytes = sizeOf(env.obs.shape) * (env.obs.dtype === "u8" ? 1 : 4);
  const { numEnvs: N, rolloutSteps: T } = config;
  return 16 * params + T * N * (obsBytes + 32) + (T * N + 3 * N) * perSample * 4 * 3;
}

/**
 * Refuses, before any work, an A2C config whose estimated memory exceeds `limit` bytes
 * (default: three quarters of this machine's memory), naming the field that drives it, its
 * value, the estimate and the limit.
 */
export function checkA2cMemory(
  env: EnvSpec,
  config: A2cConfig,
  limit: number = memoryLimit(),
): void {
  const need = estimateA2cMemory(env, config);
  if (need <= limit) return;
  const params = makeLayout(paramSpecs(netForEnv(env, config))).size;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  // Blame the hidden sizes when the run would fit with a small MLP, else the batch.
  const small = config.net !== "ff" && config.net !== "lstm" &&
    estimateA2cMemory(env, { ...config, hidden: [64, 64] }) <= limit;
  const field = small
    ? `hidden: got ${JSON.stringify(config.hidden)} (${params} parameters)`
    : `numEnvs: got ${config.numEnvs} (× rolloutSteps ${config.rolloutSteps})`;
  throw new RangeError(
    `${field}: the run needs about ${gib(need)} GiB of memory, limit ${gib(limit)} GiB ` +
      "(three quarters of this machine's)",
  );
}

function memoryLimit(): number {
  try {
    return 0.75 * Deno.systemMemoryInfo().total;
  } catch {
    return 8 * 2 ** 30; // no --allow-sys: assume a small machine
  }
}

/** Statistics of the training iterations since the last report. */
export interface A2cReport {
  /** Environment steps so far (all envs together). */
  readonly steps: number;
  /** Iterations so far. */
  readonly iterations: number;
  /** Episodes finished so far. */
  readonly episodes: number;
  /** Returns of the episodes finished since the previous report. */
  readonly newReturns: Float32Array;
  /** Lengths of those episodes, in agent steps. */
  readonly newLengths: Uint32Array;
  /** Policy loss of the last iteration (mean over the batch). */
  readonly policyLoss: number;
  /** Value loss ½(R − V)² of the last iteration (mean). */
  readonly valueLoss: number;
  /** Policy entropy of the last iteration (mean, nats). */
  readonly entropy: number;
  /** Global gradient norm before clipping, last iteration. */
  readonly gradNorm: number;
  /** Learning rate used by the last iteration. */
  readonly learningRate: number;
  /** True when a loss, gradient or parameter became NaN or infinite. */
  readonly nonFinite: boolean;
}

/** One A2C learner on one backend, driven by the training loop. */
export interface A2cRunner {
  /** The network being trained. */
  readonly net: NetSpec;
  /** Number of parameters. */
  readonly parameterCount: number;
  /** Where each named parameter tensor lives in the flat vector (checkpoints use it). */
  readonly layout: ParamLayout;
  /** The optimizer's settings (kind, lr schedule, clipping). */
  readonly optimizer: OptimizerConfig;
  /** Iterations run so far (restored by {@link A2cRunner.setIterations} on resume). */
  readonly iterations: number;
  /** Runs one iteration: T steps of N envs, GAE, one gradient step. Does not wait for the GPU. */
  iterate(): void;
  /**
   * The CPU form's iteration as phases, between which the training loop may give the event
   * loop a turn (Ctrl-C within a second on a large batch); an iteration left unfinished changes
   * neither the parameters nor the optimizer. Absent on the GPU, whose `iterate` only encodes.
   */
  iterateInPhases?(): Generator<void, void, void>;
  /**
   * Statistics since the previous call, as of the iterations run when it is called. On the GPU
   * the copy is queued behind them and the promise resolves once the GPU gets there; `iterate`
   * may be called meanwhile (a pipelined readback). Reports resolve in call order.
   */
  report(): Promise<A2cReport>;
  /** The current parameters, flat, in the layout order of the net's `paramSpecs`. */
  getParams(): Promise<Float32Array>;
  /** Replaces the parameters (for resume); the length must match. */
  setParams(params: Float32Array): Promise<void>;
  /** The optimizer state (a copy; GPU: read back). */
  getOptimizerState(): Promise<OptimizerState>;
  /** Replaces the optimizer state (for resume); sizes must match the layout. */
  setOptimizerState(state: OptimizerState): Promise<void>;
  /** Sets the iteration counter (for resume: steps so far = iterations · N · T). */
  setIterations(iterations: number): Promise<void>;
  /** Releases GPU resources. */
  dispose(): void;
}

/** Tracks how many of an env's finished episodes were already reported. */
export function newEpisodes(
  stats: EpisodeStats,
  alreadySeen: number,
): { returns: Float32Array; lengths: Uint32Array } {
  const fresh = Math.min(stats.count - alreadySeen, stats.returns.length);
  const from = stats.returns.length - fresh;
  return { returns: stats.returns.slice(from), lengths: stats.lengths.slice(from) };
}
