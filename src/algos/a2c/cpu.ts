/**
 * A2C on the CPU backend: the same iteration as the GPU form (`gpu.ts`), run by the
 * TypeScript twins in the same order. Readable top to bottom: rollout, bootstrap, GAE,
 * forward + backward on the T·N batch, clip, optimizer step.
 *
 * @module
 */

import { makeCpuEnv } from "../../envs/registry.ts";
import type { CpuVecEnv } from "../../envs/types.ts";
import { actorCriticLoss, LOSS_STATS, LossStat } from "../../nn/actor_critic.ts";
import { paramSpecs, policyOutputs, sizeOf } from "../../nn/model_spec.ts";
import {
  lstmLayer,
  makeCpuActivations,
  netBackwardLayers,
  netForward,
  netForwardLayers,
  type Recurrence,
  type TensorViews,
  viewTensors,
} from "../../nn/net_cpu.ts";
import { copyRowsWhere, episodeStarts } from "../../gpu/flags.ts";
import { makeOptimizerState, optimizerStep } from "../../nn/optim.ts";
import { initParamsBy, makeLayout } from "../../nn/params.ts";
import { sampleCategorical } from "../../nn/sample.ts";
import { computeGae } from "../gae.ts";
import {
  type A2cReport,
  type A2cRunner,
  checkRolloutFitsTimeLimit,
  netForEnv,
  newEpisodes,
} from "./common.ts";
import type { A2cConfig } from "./config.ts";
import { a2cOptimizerConfig } from "./optimizer.ts";

/**
 * Builds the CPU form of A2C for a resolved config (envs reset from `config.seed`). `env`
 * replaces the registered env `config.env` (N copies of any {@link CpuVecEnv}; tests use it).
 */
export function makeA2cCpu(
  config: A2cConfig,
  env: CpuVecEnv = makeCpuEnv(config.env, config.numEnvs, config.envOptions),
): A2cRunner {
  const { numEnvs: N, rolloutSteps: T } = config;
  if (env.numEnvs !== N) {
    throw new RangeError(`A2C on the CPU: the env has ${env.numEnvs} copies, numEnvs is ${N}`);
  }
  const net = netForEnv(env.spec, config);
  if (net.head.kind !== "categorical") {
    throw new RangeError(`A2C on the CPU: env ${config.env} needs a categorical policy`);
  }
  checkRolloutFitsTimeLimit(env.spec, T);
  const A = policyOutputs(net.head);
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = initParamsBy(config.init, layout, config.seed);
  const grads = new Float32Array(layout.size);
  const pv: TensorViews = viewTensors(params, offsets, net);
  const gv: TensorViews = viewTensors(grads, offsets, net);
  const optConfig = a2cOptimizerConfig(config);
  const optState = makeOptimizerState(optConfig, layout.size);
  env.reset(config.seed);

  const obsSize = sizeOf(env.spec.obs.shape);
  const act = makeCpuActivations(net, N); // acting: batch N
  const train = makeCpuActivations(net, T * N, T); // learning: batch T·N (T steps of N)
  // A recurrent net keeps an LSTM state per env, reset where an episode starts; the training
  // forward replays the rollout from the state saved at its start (truncated BPTT over T).
  const H = lstmLayer(net)?.hidden ?? 0;
  const h = new Float32Array(N * H);
  const c = new Float32Array(N * H);
  const h0 = new Float32Array(N * H);
  const c0 = new Float32Array(N * H);
  const startsStep = new Uint32Array(N); // 1 where the env's episode starts at this step
  const starts = new Uint32Array(T * N); // the rollout's, [T, N]
  const acting: Recurrence | undefined = H
    ? { T: 1, starts: startsStep, h0: h, c0: c, hT: h, cT: c }
    : undefined;
  const bootstrap: Recurrence | undefined = H
    ? { T: 1, starts: startsStep, h0: h, c0: c }
    : undefined;
  const learning: Recurrence | undefined = H ? { T, starts, h0, c0 } : undefined;
  // A feed-forward net's training forward is the rollout's own: each acting forward (batch N,
  // the parameters fixed until step 4) is copied into rows t·N.. of the training buffers, and
  // backward reads them there. A recurrent net replays the rollout instead (its state at the
  // rollout's start is what backward needs).
  const keepRows = (t: number) => {
    act.outputs.forEach((o, l) => train.outputs[l].set(o, t * o.length));
    train.policy.set(act.policy, t * act.policy.length);
    train.value.set(act.value, t * N);
  };
  // Time limits: V(s_final) of each env's truncation in the rollout, from the env's final
  // observation and (recurrent nets) the LSTM state of the step that reached the limit.
  const finalValues = new Float32Array(N);
  const finalH = new Float32Array(N * H);
  const finalC = new Float32Array(N * H);
  const finalValue: Recurrence | undefined = H
    ? { T: 1, starts: new Uint32Array(N), h0: finalH, c0: finalC }
    : undefined;
  // The rollout, time-major [T, N, ...].
  const obs = env.obs instanceof Uint8Array
    ? new Uint8Array(T * N * obsSize)
    : new Float32Array(T * N * obsSize);
  const actions = new Int32Array(T * N);
  const rewards = new Float32Array(T * N);
  const values = new Float32Array(T * N);
  const terminated = new Uint8Array(T * N);
  const truncated = new Uint8Array(T * N);
  const lastValues = new Float32Array(N);
  const advantages = new Float32Array(T * N);
  const returns = new Float32Array(T * N);
  const stepActions = new Int32Array(N);
  const dLogits = new Float32Array(T * N * A);
  const dValues = new Float32Array(T * N);
  const lossStats = new Float32Array(LOSS_STATS);

  let iterations = 0;
  let counter = 0; // the sampling RNG's step counter (the GPU keeps it in a buffer)
  let episodesSeen = 0;
  let gradNorm = 0;
  let learningRate = config.lr;
  let nonFinite = false;

  /**
   * One iteration as phases (a rollout step, a layer of the training forward or backward):
   * the training loop gives the event loop a turn between them. Parameters and the optimizer
   * change only in the last phase, so an iteration left unfinished (Ctrl-C) changes neither.
   */
  function* phases(): Generator<void, void, void> {
    // 1. Rollout: T steps of N envs with the current policy.
    h0.set(h);
    c0.set(c);
    let truncations = false;
    for (let t = 0; t < T; t++) {
      obs.set(env.obs, t * N * obsSize);
      starts.set(startsStep, t * N);
      netForward(net, pv, env.obs, act, acting);
      if (!H) keepRows(t);
      values.set(act.value, t * N);
      sampleCategorical({
        logits: act.policy,
        actions: stepActions,
        B: N,
        A,
        seed: config.seed,
        counter: counter++,
      });
      actions.set(stepActions, t * N);
      env.step(stepActions);
      rewards.set(env.reward, t * N);
      terminated.set(env.terminated, t * N);
      truncated.set(env.truncated, t * N);
      if (env.truncated.includes(1)) {
        truncations = true;
        if (H) {
          copyRowsWhere(env.truncated, h, finalH, H);
          copyRowsWhere(env.truncated, c, finalC, H);
        }
      }
      episodeStarts(env.terminated, env.truncated, startsStep);
      yield;
    }
    // 2. Bootstrap from V(s_T) and, where a time limit cut an episode, from V(s_final);
    // compute GAE advantages and λ-returns. (The GPU runs the s_final forward every
    // rollout; here it is skipped when no env truncated.)
    netForward(net, pv, env.obs, act, bootstrap);
    lastValues.set(act.value);
    if (truncations) {
      netForward(net, pv, env.finalObs, act, finalValue);
      finalValues.set(act.value);
    }
    computeGae({
      rewards,
      values,
      terminated,
      truncated,
      lastValues,
      finalValues,
      gamma: config.gamma,
      lambda: config.gaeLambda,
      T,
      N,
      advantages,
      returns,
    });
    // 3. Forward (kept from the rollout, or replayed by a recurrent net) and backward on the
    // whole T·N batch through the fused head.
    if (H) yield* netForwardLayers(net, pv, obs, train, learning);
    actorCriticLoss({
      logits: train.policy,
      values: train.value,
      actions,
      advantages,
      returns,
      dLogits,
      dValues,
      stats: lossStats,
      B: T * N,
      A,
    }, { valueCoef: config.valueCoef, entropyCoef: config.entropyCoef });
    yield* netBackwardLayers(net, pv, gv, obs, train, dLogits, dValues, learning);
    // 4. Clip the global gradient norm, anneal the learning rate, step the optimizer.
    const step = optimizerStep(optConfig, optState, params, grads);
    gradNorm = step.gradNorm;
    learningRate = step.lr;
    if (!Number.isFinite(gradNorm) || lossStats[LossStat.badRows] > 0) nonFinite = true;
    iterations++;
  }

  return {
    net,
    parameterCount: layout.size,
    layout,
    optimizer: optConfig,
    get iterations() {
      return iterations;
    },
    iterate() {
      for (const _ of phases());
    },
    iterateInPhases: phases,
    report(): Promise<A2cReport> {
      const stats = env.episodeStats();
      const fresh = newEpisodes(stats, episodesSeen);
      episodesSeen = stats.count;
      return Promise.resolve({
        steps: iterations * T * N,
        iterations,
        episodes: stats.count,
        newReturns: fresh.returns,
        newLengths: fresh.lengths,
        policyLoss: lossStats[LossStat.policyLoss],
        valueLoss: lossStats[LossStat.valueLoss],
        entropy: lossStats[LossStat.entropy],
        gradNorm,
        learningRate,
        nonFinite: nonFinite || params.some((p) => !Number.isFinite(p)),
      });
    },
    getParams: () => Promise.resolve(params.slice()),
    setParams(p: Float32Array) {
      if (p.length !== params.length) {
        throw new RangeError(`setParams: got ${p.length} floats, the net has ${params.length}`);
      }
      params.set(p);
      return Promise.resolve();
    },
    getOptimizerState: () =>
      Promise.resolve({
        first: optState.first.slice(),
        second: optState.second.slice(),
        step: optState.step,
      }),
    setOptimizerState(state) {
      if (
        state.first.length !== optState.first.length ||
        state.second.length !== optState.second.length
      ) {
        throw new RangeError(
          `setOptimizerState: got ${state.first.length}/${state.second.length} floats, ` +
            `expected ${optState.first.length}/${optState.second.length}`,
        );
      }
      optState.first.set(state.first);
      optState.second.set(state.second);
      optState.step = state.step;
      return Promise.resolve();
    },
    setIterations(n: number) {
      // Resumed runs continue the sampling counter; the envs start fresh episodes.
      iterations = n;
      counter = n * T;
      env.reset((config.seed + n) >>> 0);
      episodesSeen = 0;
      h.fill(0);
      c.fill(0);
      startsStep.fill(0);
      return Promise.resolve();
    },
    dispose() {},
  };
}
