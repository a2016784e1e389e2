/**
 * One actor-learner of the asynchronous methods (Mnih et al. 2016), as plain functions that
 * run in a Deno worker (`worker.ts`) or in-process (tests). Each learner owns one env copy
 * and a local copy θ' of the parameters; per update it:
 *
 * 1. copies the shared parameters θ into θ' (without locks);
 * 2. acts for up to t_max steps with θ' (A3C: samples π(·|s; θ'); Q family: ε-greedy on
 *    Q(s, ·; θ')), advancing the global step counter T with `Atomics.add` once per step
 *    (the Q family refreshes θ⁻ ← θ when T crosses a multiple of I_target);
 * 3. computes targets: A3C and n-step Q the n-step returns R = r_i + γR bootstrapped from
 *    V(s; θ') (A3C) or max_a Q(s, a; θ⁻) (n-step Q), 0 after a terminal state; one-step Q
 *    y = r + γ max_a Q(s', a; θ⁻); one-step Sarsa y = r + γ Q(s', a'; θ⁻) with a' the next
 *    action actually taken. A time-limit truncation bootstraps from the episode's final
 *    observation, which the env keeps in `finalObs` (as `gae.ts` does; a recurrent net from
 *    the state carried to that step);
 * 4. accumulates the gradients of the rollout's summed loss on θ' (one batched backward pass:
 *    θ' is fixed during the rollout, so this equals the paper's per-step accumulation), clips
 *    their norm (per worker, like the paper's implementation) and applies the shared
 *    RMSProp update to θ and g in shared memory, without locks (Hogwild); the learning rate
 *    is annealed on the global T.
 *
 * Randomness: worker k uses seed `seed + k` for its env, its action sampling (counter = its
 * local step) and its final ε (stream 7 of `makeRng`), so a one-worker run is reproducible.
 *
 * @module
 */

import { makeCpuEnv } from "../../envs/registry.ts";
import type { CpuVecEnv } from "../../envs/types.ts";
import { actorCriticLoss, LOSS_STATS, LossStat } from "../../nn/actor_critic.ts";
import { sizeOf } from "../../nn/model_spec.ts";
import {
  gradientNorm,
  type OptimizerConfig,
  type OptimizerState,
  optimizerStep,
} from "../../nn/optim.ts";
import { registerOptimizerMemory } from "../../nn/optim_wasm.ts";
import { epsilonGreedy, qLoss } from "../../nn/q_head.ts";
import { sampleCategorical } from "../../nn/sample.ts";
import { makeRng } from "../../util/rng.ts";
import { computeGae } from "../gae.ts";
import type { A3cConfig, AsyncConfig, AsyncQConfig } from "./config.ts";
import { type LearnerNet, makeCpuLearnerNet } from "./net.ts";
import { asyncNetForEnv } from "./net.ts";
import { envSpec } from "../../envs/registry.ts";
import {
  checkSharedState,
  Control,
  LOG_WAIT_MS,
  pushReturn,
  type SharedState,
  stopRequested,
  WORKER_STAT_WORDS,
  workerGrads,
  WorkerStat,
} from "./shared.ts";

/** The shared-RMSProp settings of a run: the paper's form, annealed on the global T. */
export function asyncOptimizerConfig(config: AsyncConfig): OptimizerConfig {
  return {
    kind: "rmsprop",
    lr: config.lr,
    alpha: config.rmsAlpha,
    eps: config.rmsEps,
    rmsInit: config.rmsInit,
    maxGradNorm: config.maxGradNorm,
    totalSteps: config.annealLr ? config.totalSteps : 0,
  };
}

/** A3C's entropy bonus β at global step `t`: `entropyCoef`, annealed to 0 with `annealEntropy`. */
export function entropyAt(config: A3cConfig, t: number): number {
  if (!config.annealEntropy) return config.entropyCoef;
  return config.entropyCoef * Math.max(0, 1 - t / config.totalSteps);
}

/** The network of a run (built from the env's spec; `net: "lstm"` for A3C only). */
export function makeAsyncNet(config: AsyncConfig): LearnerNet {
  return makeCpuLearnerNet(asyncNetForEnv(envSpec(config.env, config.envOptions), config));
}

/** The seed of worker `id`: `seed + id` (u32). */
export function workerSeed(config: AsyncConfig, id: number): number {
  return (config.seed + id) >>> 0;
}

/**
 * Worker `id`'s final ε: drawn from `finalEpsilons` with `finalEpsilonProbs` by the first
 * uniform of stream 7 of its seed.
 */
export function finalEpsilon(config: AsyncQConfig, id: number): number {
  const u = makeRng(workerSeed(config, id), 7).unit();
  let cdf = 0;
  for (let i = 0; i < config.finalEpsilons.length; i++) {
    cdf += config.finalEpsilonProbs[i];
    if (u < cdf) return config.finalEpsilons[i];
  }
  return config.finalEpsilons[config.finalEpsilons.length - 1];
}

/** ε at global step T: linear from 1 to `final` over `annealSteps` (final at once if 0). */
export function epsilonAt(final: number, annealSteps: number, T: number): number {
  if (annealSteps <= 0) return final;
  return 1 + (final - 1) * Math.min(1, T / annealSteps);
}

/** What a learner has done so far. */
export interface LearnerProgress {
  /** Environment steps this learner took. */
  readonly steps: number;
  /** Episodes it finished. */
  readonly episodes: number;
  /** Shared updates it applied. */
  readonly updates: number;
}

/** One actor-learner, stepped one rollout + update at a time. */
export interface Learner {
  /** The worker id. */
  readonly id: number;
  /** The network. */
  readonly net: LearnerNet;
  /** The local parameter copy θ' [layout.size] (refreshed from shared θ every rollout). */
  readonly local: Float32Array;
  /** Progress so far. */
  progress(): LearnerProgress;
  /**
   * True while the learner should go on: no stop requested and T below the budget. The
   * loop checks it at rollout boundaries only.
   */
  active(): boolean;
  /**
   * One rollout of up to t_max steps and one shared update. Throws on a non-finite loss or
   * gradient, and at the injected fault's step ({@link LearnerOptions.faultAtStep}).
   */
  update(): void;
}

/** What tests inject into a learner. */
export interface LearnerOptions {
  /** The network (default: the run's CPU net, `makeAsyncNet(config)`). */
  readonly net?: LearnerNet;
  /** Throw an error once the learner's local step count reaches this (fault handling tests). */
  readonly faultAtStep?: number;
}

/** Builds worker `id`'s learner over `shared` (the env reset from the worker's seed). */
export function makeLearner(
  config: AsyncConfig,
  shared: SharedState,
  id: number,
  opts: LearnerOptions = {},
): Learner {
  const net = opts.net ?? makeAsyncNet(config);
  checkSharedState(shared, net.layout, id);
  if (config.algo !== "a3c" && shared.target.length !== net.layout.size) {
    throw new RangeError(`async: ${config.algo} needs the target network in the shared state`);
  }
  const seed = workerSeed(config, id);
  const env = makeCpuEnv(config.env, 1, config.envOptions);
  env.reset(seed);
  const ctx = makeContext(config, shared, id, net, env, seed, opts.faultAtStep);
  const update = config.algo === "a3c"
    ? a3cUpdate(config, ctx)
    : config.algo === "n-step-q"
    ? nStepQUpdate(config, ctx)
    : oneStepUpdate(config, ctx);
  return {
    id,
    net,
    local: ctx.local,
    progress: () => {
      const { steps, episodes, updates } = ctx.counters;
      return { steps, episodes, updates };
    },
    active: () =>
      !stopRequested(shared) &&
      Atomics.load(shared.control, Control.globalSteps) < config.totalSteps,
    update,
  };
}

/**
 * Runs worker `id`'s learner until the budget or a stop request (or `maxUpdates` updates,
 * for tests); marks the worker done (or failed, rethrowing) in the shared stats.
 */
export function runLearner(
  config: AsyncConfig,
  shared: SharedState,
  id: number,
  opts: LearnerOptions & { readonly maxUpdates?: number } = {},
): LearnerProgress {
  const row = id * WORKER_STAT_WORDS;
  try {
    const learner = makeLearner(config, shared, id, opts);
    const max = opts.maxUpdates ?? Infinity;
    for (let u = 0; u < max && learner.active(); u++) learner.update();
    shared.workerStats[row + WorkerStat.status] = 1;
    return learner.progress();
  } catch (err) {
    shared.workerStats[row + WorkerStat.status] = 2;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The pieces of a learner the three update kinds share: rollout storage, the learner's
// counters, the env step, and the shared update, each with its own job.

/** The rows of one rollout, [tMax, ...]: what was observed, done and received. */
class Rollout {
  readonly obs: Float32Array | Uint8Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;

  constructor(tMax: number, readonly obsSize: number, pixels: boolean) {
    this.obs = pixels ? new Uint8Array(tMax * obsSize) : new Float32Array(tMax * obsSize);
    this.actions = new Int32Array(tMax);
    this.rewards = new Float32Array(tMax);
    this.terminated = new Uint8Array(tMax);
    this.truncated = new Uint8Array(tMax);
  }

  /** Stores observation `obs` at row t. */
  storeObs(t: number, obs: Float32Array | Uint8Array): void {
    this.obs.set(obs, t * this.obsSize);
  }

  /** Rows [0, n) of the observations. */
  obsRows(n: number): Float32Array | Uint8Array {
    return this.obs.subarray(0, n * this.obsSize);
  }

  /** Stores step t's reward and `env`'s end flags (after that step); true when it ended. */
  record(t: number, env: CpuVecEnv, reward: number): boolean {
    this.rewards[t] = reward;
    this.terminated[t] = env.terminated[0];
    this.truncated[t] = env.truncated[0];
    return this.terminated[t] !== 0 || this.truncated[t] !== 0;
  }
}

/** A learner's own counts, mirrored into its row of the shared worker stats. */
class Counters {
  steps = 0;
  episodes = 0;
  updates = 0;
  episodeReturn = 0;
  episodeLength = 0;
  /** The RNG counter of action selection (the local step count, with Sarsa's look-ahead). */
  rng = 0;
  readonly #shared: SharedState;
  readonly #id: number;
  readonly #row: number;

  constructor(shared: SharedState, id: number) {
    this.#shared = shared;
    this.#id = id;
    this.#row = id * WORKER_STAT_WORDS;
  }

  /** One env step with raw reward `raw`. */
  step(raw: number): void {
    this.steps++;
    this.episodeReturn += raw;
    this.episodeLength++;
  }

  /** The episode ended: its return and length go to the shared ring. */
  endEpisode(): void {
    pushReturn(this.#shared, this.#id, this.episodeReturn, this.episodeLength);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodes++;
    this.#shared.workerStats[this.#row + WorkerStat.episodes] = this.episodes;
  }

  /** Publishes the step count (after the step's episode end, as the coordinator reads it). */
  publishSteps(): void {
    this.#shared.workerStats[this.#row + WorkerStat.steps] = this.steps;
  }

  /** One shared update applied: its statistics go to the shared stats. */
  recordUpdate(stats: Float32Array, rows: number, gradNorm: number, lr: number, extra: number) {
    const st = this.#shared.workerStats;
    const row = this.#row;
    this.updates++;
    st[row + WorkerStat.updates] = this.updates;
    st[row + WorkerStat.loss] = stats[LossStat.loss];
    st[row + WorkerStat.policyLoss] = stats[LossStat.policyLoss] / rows;
    st[row + WorkerStat.valueLoss] = stats[LossStat.valueLoss] / rows;
    st[row + WorkerStat.gradNorm] = gradNorm;
    st[row + WorkerStat.lr] = lr;
    st[row + WorkerStat.entropyOrEpsilon] = extra;
  }
}

/**
 * Advances the global step T by one: refreshes θ⁻ ← θ when T crosses a multiple of
 * `targetEvery` (0: never), and at a log point holds this worker until the coordinator has
 * taken the record (it polls every few ms), so a one-worker run logs at exact multiples of
 * `logEvery`.
 */
function advanceGlobalStep(config: AsyncConfig, shared: SharedState, targetEvery: number): void {
  const t = Atomics.add(shared.control, Control.globalSteps, 1) + 1;
  if (targetEvery > 0 && t % targetEvery === 0) {
    shared.target.set(shared.params); // θ⁻ ← θ (a lock-free copy)
    Atomics.add(shared.control, Control.targetRefreshes, 1);
  }
  if (t % config.logEvery === 0 && t < config.totalSteps) {
    Atomics.store(shared.control, Control.logAt, t);
    Atomics.notify(shared.control, Control.logAt);
    Atomics.wait(shared.control, Control.logAt, t, LOG_WAIT_MS);
  }
}

/** The gradient of a rollout's loss and what the loss kernels write. */
interface LossBuffers {
  /** d loss / d θ', [layout.size]. */
  readonly grads: Float32Array;
  /** d loss / d policy outputs (logits or Q-values), [tMax, A]. */
  readonly dPolicy: Float32Array;
  /** d loss / d values, [tMax]. */
  readonly dValue: Float32Array;
  /** The loss kernels' statistics (`LossStat`), summed over the rollout's rows. */
  readonly stats: Float32Array;
}

/**
 * The shared update: applies `loss.grads` to the shared θ and g (Hogwild RMSProp, the
 * learning rate annealed on the global T) and records its statistics (`extra`: A3C the mean
 * entropy, Q ε). Throws, before touching θ, on a non-finite loss or gradient.
 */
function sharedUpdate(
  config: AsyncConfig,
  shared: SharedState,
  loss: LossBuffers,
  counters: Counters,
): (rows: number, extra: number) => void {
  const optimizer = asyncOptimizerConfig(config);
  // The shared RMSProp statistics g: updated in place by every worker (Hogwild).
  const opt: OptimizerState = { first: shared.rmsG, second: new Float32Array(0), step: 0 };
  return (rows, extra) => {
    const value = loss.stats[LossStat.loss];
    const badRows = loss.stats[LossStat.badRows];
    opt.step = Atomics.load(shared.control, Control.globalSteps);
    // Checked before the update touches θ, so a bad gradient never reaches shared memory;
    // computed once, the step takes it.
    const norm = gradientNorm(loss.grads);
    if (!Number.isFinite(norm) || badRows > 0 || !Number.isFinite(value)) {
      throw new Error(
        `non-finite loss or gradient (loss ${value}, gradient norm ${norm}) at global ` +
          `step ${opt.step}; the shared parameters were not updated; try a lower lr`,
      );
    }
    const s = optimizerStep(optimizer, opt, shared.params, loss.grads, norm);
    Atomics.add(shared.control, Control.updates, 1);
    counters.recordUpdate(loss.stats, rows, s.gradNorm, s.lr, extra);
  };
}

/** What the three update kinds share. */
interface Context {
  readonly id: number;
  readonly seed: number;
  readonly shared: SharedState;
  readonly net: LearnerNet;
  readonly env: CpuVecEnv;
  /** θ', [layout.size]. */
  readonly local: Float32Array;
  /** Actions (policy outputs) A. */
  readonly A: number;
  /** One action, for the env and the samplers. */
  readonly one: Int32Array;
  readonly rollout: Rollout;
  readonly loss: LossBuffers;
  readonly counters: Counters;
  /** Takes one env step with `action`; returns the (possibly clipped) reward. */
  envStep(action: number): number;
  /** The shared update of the gradient in `loss.grads` (see {@link sharedUpdate}). */
  apply(rows: number, extra: number): void;
}

function makeContext(
  config: AsyncConfig,
  shared: SharedState,
  id: number,
  net: LearnerNet,
  env: CpuVecEnv,
  seed: number,
  faultAtStep = Infinity,
): Context {
  const A = net.actions;
  const size = net.layout.size;
  const targetEvery = config.algo === "a3c" ? 0 : config.targetUpdateEvery;
  const counters = new Counters(shared, id);
  // θ, g and this gradient in one WebAssembly memory: the optimizer updates them in place.
  if (shared.memory) registerOptimizerMemory(shared.memory);
  const loss: LossBuffers = {
    grads: workerGrads(shared, id),
    dPolicy: new Float32Array(config.tMax * A),
    dValue: new Float32Array(config.tMax),
    stats: new Float32Array(LOSS_STATS),
  };
  const one = new Int32Array(1);
  return {
    id,
    seed,
    shared,
    net,
    env,
    local: new Float32Array(size),
    A,
    one,
    rollout: new Rollout(config.tMax, sizeOf(env.spec.obs.shape), env.obs instanceof Uint8Array),
    loss,
    counters,
    envStep(action) {
      if (counters.steps >= faultAtStep) {
        throw new Error(
          `fault injected by the test hook at local step ${counters.steps} (worker ${id})`,
        );
      }
      one[0] = action;
      env.step(one);
      const raw = env.reward[0];
      counters.step(raw);
      advanceGlobalStep(config, shared, targetEvery);
      if (env.terminated[0] !== 0 || env.truncated[0] !== 0) counters.endEpisode();
      counters.publishSteps();
      return config.clipRewards ? Math.max(-1, Math.min(1, raw)) : raw;
    },
    apply: sharedUpdate(config, shared, loss, counters),
  };
}

// ---------------------------------------------------------------------------------------------
// A3C (Algorithm S3)

function a3cUpdate(config: A3cConfig, ctx: Context): () => void {
  const { net, local, A } = ctx;
  const values = new Float32Array(config.tMax);
  const advantages = new Float32Array(config.tMax);
  const returns = new Float32Array(config.tMax);
  const lastValue = new Float32Array(1);
  const finalValue = new Float32Array(1);
  // Recurrent nets: the LSTM state (h, c) carried across steps and rollouts, its value at the
  // rollout's start (h0, c0), and the episode-start flags of the rollout's steps.
  const H = net.hidden;
  const h = new Float32Array(H);
  const c = new Float32Array(H);
  const h0 = new Float32Array(H);
  const c0 = new Float32Array(H);
  const starts = new Uint8Array(config.tMax);
  const noStart = new Uint8Array(1);
  let episodeStart = true;
  // A feed-forward net keeps each acting pass as a row of the update's batch (same θ'), so
  // the update runs no forward of its own.
  const keeping = !H && net.keep !== undefined;
  const act = (n: number) =>
    H
      ? net.forward(local, ctx.env.obs, 1, {
        T: 1,
        starts: starts.subarray(n, n + 1),
        h0: h,
        c0: c,
        hT: h,
        cT: c,
      })
      : net.forward(local, ctx.env.obs, 1);
  return () => {
    local.set(ctx.shared.params); // θ' ← θ
    h0.set(h);
    c0.set(c);
    let n = 0;
    let done = false;
    while (n < config.tMax && !done) {
      ctx.rollout.storeObs(n, ctx.env.obs);
      starts[n] = episodeStart ? 1 : 0;
      const out = act(n);
      if (keeping) net.keep!(n);
      values[n] = out.value[0];
      sampleCategorical({
        logits: out.policy,
        actions: ctx.one,
        B: 1,
        A,
        seed: ctx.seed,
        counter: ctx.counters.rng++,
      });
      ctx.rollout.actions[n] = ctx.one[0];
      done = ctx.rollout.record(n, ctx.env, ctx.envStep(ctx.one[0]));
      episodeStart = done;
      n++;
    }
    // R = 0 after a terminal state, V(s_final; θ') after a time limit (the final observation
    // the env kept), else V(s_t; θ') (GAE with λ = 1 = n-step returns); a recurrent net peeks
    // from the carried state (h, c after the rollout's last step) without advancing it.
    const peek = (obs: Float32Array | Uint8Array) =>
      H
        ? net.forward(local, obs, 1, { T: 1, starts: noStart, h0: h, c0: c }).value[0]
        : net.forward(local, obs, 1).value[0];
    lastValue[0] = done ? 0 : peek(ctx.env.obs);
    finalValue[0] = ctx.rollout.truncated[n - 1] !== 0 ? peek(ctx.env.finalObs) : 0;
    computeGae({
      rewards: ctx.rollout.rewards.subarray(0, n),
      values: values.subarray(0, n),
      terminated: ctx.rollout.terminated.subarray(0, n),
      truncated: ctx.rollout.truncated.subarray(0, n),
      lastValues: lastValue,
      finalValues: finalValue,
      gamma: config.gamma,
      lambda: 1,
      T: n,
      N: 1,
      advantages: advantages.subarray(0, n),
      returns: returns.subarray(0, n),
    });
    const obs = ctx.rollout.obsRows(n);
    const rec = H ? { T: n, starts: starts.subarray(0, n), h0, c0 } : undefined;
    const out = keeping ? net.kept!(n) : net.forward(local, obs, n, rec);
    const dPolicy = ctx.loss.dPolicy.subarray(0, n * A);
    const dValue = ctx.loss.dValue.subarray(0, n);
    actorCriticLoss({
      logits: out.policy,
      values: out.value,
      actions: ctx.rollout.actions.subarray(0, n),
      advantages: advantages.subarray(0, n),
      returns: returns.subarray(0, n),
      dLogits: dPolicy,
      dValues: dValue,
      stats: ctx.loss.stats,
      B: n,
      A,
    }, {
      valueCoef: config.valueCoef,
      entropyCoef: entropyAt(config, Atomics.load(ctx.shared.control, Control.globalSteps)),
      scale: 1,
    });
    if (keeping) net.backwardKept!(local, ctx.loss.grads, obs, n, dPolicy, dValue);
    else net.backward(local, ctx.loss.grads, obs, n, dPolicy, dValue, rec);
    ctx.apply(n, ctx.loss.stats[LossStat.entropy] / n);
  };
}

// ---------------------------------------------------------------------------------------------
// The Q family: shared pieces

interface QTools {
  /** ε-greedy action on Q(s; θ') for the current observation. */
  select(): number;
  /** The current ε. */
  epsilon(): number;
  /** Gradient of ½Σ(y − Q(s_i, a_i; θ'))² over rows [0, n) with targets `y`, then apply. */
  learn(n: number, targets: Float32Array): void;
  /** Q(s, ·; θ⁻) of the observation `obs` (one row), [A] (a view, valid until the next call). */
  targetQ(obs: Float32Array | Uint8Array): Float32Array;
}

function qTools(config: AsyncQConfig, ctx: Context): QTools {
  const { net, local, A } = ctx;
  const final = finalEpsilon(config, ctx.id);
  const eps = new Float32Array(1);
  const epsilon = () =>
    epsilonAt(
      final,
      config.epsilonAnnealSteps,
      Atomics.load(ctx.shared.control, Control.globalSteps),
    );
  return {
    epsilon,
    select() {
      eps[0] = epsilon();
      const q = net.forward(local, ctx.env.obs, 1).policy;
      epsilonGreedy({
        q,
        epsilon: eps,
        actions: ctx.one,
        B: 1,
        A,
        seed: ctx.seed,
        counter: ctx.counters.rng++,
      });
      return ctx.one[0];
    },
    targetQ(obs) {
      return net.forward(ctx.shared.target, obs, 1).policy;
    },
    learn(n, targets) {
      const obs = ctx.rollout.obsRows(n);
      const out = net.forward(local, obs, n);
      const dq = ctx.loss.dPolicy.subarray(0, n * A);
      const dValue = ctx.loss.dValue.subarray(0, n);
      dValue.fill(0); // the value head is unused by the Q family
      qLoss({
        q: out.policy,
        actions: ctx.rollout.actions.subarray(0, n),
        targets: targets.subarray(0, n),
        dq,
        stats: ctx.loss.stats,
        B: n,
        A,
      }, { scale: 1 });
      net.backward(local, ctx.loss.grads, obs, n, dq, dValue);
      ctx.apply(n, eps[0]);
    },
  };
}

function maxOf(q: Float32Array): number {
  let m = q[0];
  for (let j = 1; j < q.length; j++) m = Math.max(m, q[j]);
  return m;
}

// ---------------------------------------------------------------------------------------------
// n-step Q-learning (Algorithm S2)

function nStepQUpdate(config: AsyncQConfig, ctx: Context): () => void {
  const tools = qTools(config, ctx);
  const targets = new Float32Array(config.tMax);
  return () => {
    ctx.local.set(ctx.shared.params); // θ' ← θ
    let n = 0;
    let done = false;
    while (n < config.tMax && !done) {
      ctx.rollout.storeObs(n, ctx.env.obs);
      const a = tools.select();
      ctx.rollout.actions[n] = a;
      done = ctx.rollout.record(n, ctx.env, ctx.envStep(a));
      n++;
    }
    const last = n - 1;
    // R = 0 after a terminal state; max_a Q(s, a; θ⁻) otherwise, with s the final
    // observation the env kept after a truncation (time limit), else the current one.
    let R = 0;
    if (ctx.rollout.terminated[last] === 0) {
      const s = ctx.rollout.truncated[last] !== 0 ? ctx.env.finalObs : ctx.env.obs;
      R = maxOf(tools.targetQ(s));
    }
    for (let i = last; i >= 0; i--) {
      R = ctx.rollout.rewards[i] + config.gamma * R;
      targets[i] = R;
    }
    tools.learn(n, targets);
  };
}

// ---------------------------------------------------------------------------------------------
// One-step Q-learning (Algorithm 1) and one-step Sarsa (Algorithm S1)

function oneStepUpdate(config: AsyncQConfig, ctx: Context): () => void {
  const tools = qTools(config, ctx);
  const sarsa = config.algo === "one-step-sarsa";
  const targets = new Float32Array(config.tMax);
  let pending = -1; // Sarsa: the next action, chosen before the update (a' of the last target)
  return () => {
    ctx.local.set(ctx.shared.params); // θ' ← θ (gradients accumulate on θ' for I_AsyncUpdate steps)
    let n = 0;
    let done = false;
    while (n < config.tMax && !done) {
      ctx.rollout.storeObs(n, ctx.env.obs);
      const a = pending >= 0 ? pending : tools.select();
      pending = -1;
      ctx.rollout.actions[n] = a;
      const r = ctx.envStep(a);
      done = ctx.rollout.record(n, ctx.env, r);
      let y = r;
      if (ctx.rollout.terminated[n] === 0) {
        if (ctx.rollout.truncated[n] !== 0) {
          // Time limit: bootstrap from the final observation s_{n+1} the env kept.
          const q = tools.targetQ(ctx.env.finalObs);
          y = r + config.gamma * (sarsa ? q[a] : maxOf(q));
        } else if (sarsa) {
          pending = tools.select(); // a' ~ ε-greedy(Q(s'; θ'))
          y = r + config.gamma * tools.targetQ(ctx.env.obs)[pending];
        } else {
          y = r + config.gamma * maxOf(tools.targetQ(ctx.env.obs));
        }
      }
      targets[n] = y;
      n++;
    }
    tools.learn(n, targets);
  };
}

/**
 * Mean return of `episodes` episodes played greedily (argmax of the policy outputs: the
 * logits for A3C, the Q-values for the Q family) with parameters `params` on a fresh env
 * seeded `seed`, in-process. Stops after `maxSteps` steps (default 1,000,000) and averages
 * the episodes finished by then (NaN for none).
 */
export function evaluateGreedy(
  config: AsyncConfig,
  params: Float32Array,
  episodes: number,
  seed: number,
  maxSteps = 1_000_000,
  net: LearnerNet = makeAsyncNet(config),
): number {
  const env = makeCpuEnv(config.env, 1, config.envOptions);
  env.reset(seed >>> 0);
  const local = params.slice();
  const action = new Int32Array(1);
  const h = new Float32Array(net.hidden); // a recurrent net's state, reset at episode starts
  const c = new Float32Array(net.hidden);
  const starts = new Uint8Array([1]);
  for (let step = 0; step < maxSteps && env.episodeStats().count < episodes; step++) {
    const out = net.hidden
      ? net.forward(local, env.obs, 1, { T: 1, starts, h0: h, c0: c, hT: h, cT: c })
      : net.forward(local, env.obs, 1);
    action[0] = argmax(out.policy);
    env.step(action);
    starts[0] = env.terminated[0] || env.truncated[0];
  }
  const stats = env.episodeStats();
  const recent = stats.returns.slice(-Math.min(episodes, stats.returns.length));
  return recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : NaN;
}

function argmax(q: Float32Array): number {
  let best = 0;
  for (let j = 1; j < q.length; j++) if (q[j] > q[best]) best = j;
  return best;
}
