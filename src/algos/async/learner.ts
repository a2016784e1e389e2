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
    progress: () => ({ steps: ctx.steps, episodes: ctx.episodes, updates: ctx.updates }),
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
// The per-learner context shared by the three update kinds.

interface Context {
  readonly id: number;
  readonly seed: number;
  readonly shared: SharedState;
  readonly net: LearnerNet;
  readonly env: CpuVecEnv;
  readonly local: Float32Array;
  readonly grads: Float32Array;
  readonly optimizer: OptimizerConfig;
  readonly opt: OptimizerState;
  readonly obsSize: number;
  readonly A: number;
  /** Rollout buffers, [tMax, ...]. */
  readonly obs: Float32Array | Uint8Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly dPolicy: Float32Array;
  readonly dValue: Float32Array;
  readonly stats: Float32Array;
  readonly one: Int32Array;
  steps: number;
  episodes: number;
  updates: number;
  episodeReturn: number;
  episodeLength: number;
  /** The RNG counter of action selection (the local step count, with Sarsa's look-ahead). */
  counter: number;
  /** Takes one env step with `action`; returns the (possibly clipped) reward. */
  envStep(action: number): number;
  /**
   * Applies the gradient in `grads` to the shared θ and g and records the loss statistics in
   * `stats` (summed over the `rows` rows of the rollout) and `extra` (A3C: the mean entropy;
   * Q: ε). Throws, before touching θ, on a non-finite loss or gradient.
   */
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
  const T = config.tMax;
  const A = net.actions;
  const obsSize = sizeOf(env.spec.obs.shape);
  const size = net.layout.size;
  const optimizer = asyncOptimizerConfig(config);
  const row = id * WORKER_STAT_WORDS;
  const st = shared.workerStats;
  const targetEvery = config.algo === "a3c" ? 0 : config.targetUpdateEvery;
  const ctx: Context = {
    id,
    seed,
    shared,
    net,
    env,
    local: new Float32Array(size),
    grads: new Float32Array(size),
    optimizer,
    // The shared RMSProp statistics g: updated in place by every worker (Hogwild).
    opt: { first: shared.rmsG, second: new Float32Array(0), step: 0 },
    obsSize,
    A,
    obs: env.obs instanceof Uint8Array
      ? new Uint8Array(T * obsSize)
      : new Float32Array(T * obsSize),
    actions: new Int32Array(T),
    rewards: new Float32Array(T),
    terminated: new Uint8Array(T),
    truncated: new Uint8Array(T),
    dPolicy: new Float32Array(T * A),
    dValue: new Float32Array(T),
    stats: new Float32Array(LOSS_STATS),
    one: new Int32Array(1),
    steps: 0,
    episodes: 0,
    updates: 0,
    episodeReturn: 0,
    episodeLength: 0,
    counter: 0,
    envStep(action) {
      if (ctx.steps >= faultAtStep) {
        throw new Error(
          `fault injected by the test hook at local step ${ctx.steps} (worker ${id})`,
        );
      }
      ctx.one[0] = action;
      env.step(ctx.one);
      const raw = env.reward[0];
      ctx.steps++;
      ctx.episodeReturn += raw;
      ctx.episodeLength++;
      const t = Atomics.add(shared.control, Control.globalSteps, 1) + 1;
      if (targetEvery > 0 && t % targetEvery === 0) {
        shared.target.set(shared.params); // θ⁻ ← θ (a lock-free copy)
        Atomics.add(shared.control, Control.targetRefreshes, 1);
      }
      if (t % config.logEvery === 0 && t < config.totalSteps) {
        // A log point: hold this worker until the coordinator has taken the record (it polls
        // every few ms), so a one-worker run logs at exact multiples of logEvery.
        Atomics.store(shared.control, Control.logAt, t);
        Atomics.notify(shared.control, Control.logAt);
        Atomics.wait(shared.control, Control.logAt, t, LOG_WAIT_MS);
      }
      if (env.terminated[0] !== 0 || env.truncated[0] !== 0) {
        pushReturn(shared, id, ctx.episodeReturn, ctx.episodeLength);
        ctx.episodeReturn = 0;
        ctx.episodeLength = 0;
        ctx.episodes++;
        st[row + WorkerStat.episodes] = ctx.episodes;
      }
      st[row + WorkerStat.steps] = ctx.steps;
      return config.clipRewards ? Math.max(-1, Math.min(1, raw)) : raw;
    },
    apply(rows, extra) {
      const loss = ctx.stats[LossStat.loss];
      const badRows = ctx.stats[LossStat.badRows];
      ctx.opt.step = Atomics.load(shared.control, Control.globalSteps);
      // Checked before the update touches θ, so a bad gradient never reaches shared memory.
      const norm = gradientNorm(ctx.grads);
      if (!Number.isFinite(norm) || badRows > 0 || !Number.isFinite(loss)) {
        throw new Error(
          `non-finite loss or gradient (loss ${loss}, gradient norm ${norm}) at global ` +
            `step ${ctx.opt.step}; the shared parameters were not updated; try a lower lr`,
        );
      }
      const s = optimizerStep(optimizer, ctx.opt, shared.params, ctx.grads);
      ctx.updates++;
      Atomics.add(shared.control, Control.updates, 1);
      st[row + WorkerStat.updates] = ctx.updates;
      st[row + WorkerStat.loss] = loss;
      st[row + WorkerStat.policyLoss] = ctx.stats[LossStat.policyLoss] / rows;
      st[row + WorkerStat.valueLoss] = ctx.stats[LossStat.valueLoss] / rows;
      st[row + WorkerStat.gradNorm] = s.gradNorm;
      st[row + WorkerStat.lr] = s.lr;
      st[row + WorkerStat.entropyOrEpsilon] = extra;
    },
  };
  return ctx;
}

/** Stores the current observation at rollout row t. */
function storeObs(ctx: Context, t: number): void {
  ctx.obs.set(ctx.env.obs, t * ctx.obsSize);
}

/** Rollout rows [0, n) of the observation buffer. */
function obsRows(ctx: Context, n: number): Float32Array | Uint8Array {
  return ctx.obs.subarray(0, n * ctx.obsSize);
}

function recordStep(ctx: Context, t: number, reward: number): boolean {
  ctx.rewards[t] = reward;
  ctx.terminated[t] = ctx.env.terminated[0];
  ctx.truncated[t] = ctx.env.truncated[0];
  return ctx.terminated[t] !== 0 || ctx.truncated[t] !== 0;
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
      storeObs(ctx, n);
      starts[n] = episodeStart ? 1 : 0;
      const out = act(n);
      values[n] = out.value[0];
      sampleCategorical({
        logits: out.policy,
        actions: ctx.one,
        B: 1,
        A,
        seed: ctx.seed,
        counter: ctx.counter++,
      });
      ctx.actions[n] = ctx.one[0];
      done = recordStep(ctx, n, ctx.envStep(ctx.one[0]));
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
    finalValue[0] = ctx.truncated[n - 1] !== 0 ? peek(ctx.env.finalObs) : 0;
    computeGae(
      {
        rewards: ctx.rewards.subarray(0, n),
        values: values.subarray(0, n),
        terminated: ctx.terminated.subarray(0, n),
        truncated: ctx.truncated.subarray(0, n),
        lastValues: lastValue,
        finalValues: finalValue,
      },
      { gamma: config.gamma, lambda: 1 },
      n,
      1,
      advantages.subarray(0, n),
      returns.subarray(0, n),
    );
    const obs = obsRows(ctx, n);
    const rec = H ? { T: n, starts: starts.subarray(0, n), h0, c0 } : undefined;
    const out = net.forward(local, obs, n, rec);
    const dPolicy = ctx.dPolicy.subarray(0, n * A);
    const dValue = ctx.dValue.subarray(0, n);
    actorCriticLoss({
      logits: out.policy,
      values: out.value,
      actions: ctx.actions.subarray(0, n),
      advantages: advantages.subarray(0, n),
      returns: returns.subarray(0, n),
      dLogits: dPolicy,
      dValues: dValue,
      stats: ctx.stats,
      B: n,
      A,
    }, { valueCoef: config.valueCoef, entropyCoef: config.entropyCoef, scale: 1 });
    net.backward(local, ctx.grads, obs, n, dPolicy, dValue, rec);
    ctx.apply(n, ctx.stats[LossStat.entropy] / n);
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
        counter: ctx.counter++,
      });
      return ctx.one[0];
    },
    targetQ(obs) {
      return net.forward(ctx.shared.target, obs, 1).policy;
    },
    learn(n, targets) {
      const obs = obsRows(ctx, n);
      const out = net.forward(local, obs, n);
      const dq = ctx.dPolicy.subarray(0, n * A);
      const dValue = ctx.dValue.subarray(0, n);
      dValue.fill(0); // the value head is unused by the Q family
      qLoss({
        q: out.policy,
        actions: ctx.actions.subarray(0, n),
        targets: targets.subarray(0, n),
        dq,
        stats: ctx.stats,
        B: n,
        A,
      }, { scale: 1 });
      net.backward(local, ctx.grads, obs, n, dq, dValue);
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
      storeObs(ctx, n);
      const a = tools.select();
      ctx.actions[n] = a;
      done = recordStep(ctx, n, ctx.envStep(a));
      n++;
    }
    const last = n - 1;
    // R = 0 after a terminal state; max_a Q(s, a; θ⁻) otherwise, with s the final
    // observation the env kept after a truncation (time limit), else the current one.
    let R = 0;
    if (ctx.terminated[last] === 0) {
      const s = ctx.truncated[last] !== 0 ? ctx.env.finalObs : ctx.env.obs;
      R = maxOf(tools.targetQ(s));
    }
    for (let i = last; i >= 0; i--) {
      R = ctx.rewards[i] + config.gamma * R;
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
      storeObs(ctx, n);
      const a = pending >= 0 ? pending : tools.select();
      pending = -1;
      ctx.actions[n] = a;
      const r = ctx.envStep(a);
      done = recordStep(ctx, n, r);
      let y = r;
      if (ctx.terminated[n] === 0) {
        if (ctx.truncated[n] !== 0) {
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
