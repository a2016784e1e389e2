/**
 * A2C on the GPU: the whole iteration (T steps of N envs in lockstep, policy forward,
 * sampling, env step with auto-reset, storing the rollout, bootstrap value, GAE, forward and
 * backward on the T·N batch through the fused head, gradient clipping, RMSProp or Adam, the
 * learning-rate schedule) is recorded ONCE as a static plan and replayed every iteration in
 * one compute pass with no readback. Statistics are read back only by `report()`.
 *
 * @module
 */

import type { Gpu } from "../../gpu/device.ts";
import { createStorageBuffer, readFloats, writeBuffer } from "../../gpu/buffers.ts";
import { recordCopy } from "../../gpu/copy.ts";
import { type Dispatch, submitPlan } from "../../gpu/plan.ts";
import { makeGpuEnv } from "../../envs/registry.ts";
import { obsWords } from "../../envs/gpu_env.ts";
import { LOSS_STATS, LossStat } from "../../nn/actor_critic.ts";
import { recordActorCriticLoss } from "../../nn/actor_critic_gpu.ts";
import { paramSpecs, policyOutputs } from "../../nn/model_spec.ts";
import { recordNet } from "../../nn/net_gpu.ts";
import { recordOptimizerStep } from "../../nn/optim_gpu.ts";
import { initParams, makeLayout } from "../../nn/params.ts";
import {
  createCounterBuffer,
  recordCounterAdvance,
  recordSampleCategorical,
} from "../../nn/sample_gpu.ts";
import { recordGae } from "../gae_gpu.ts";
import { type A2cReport, type A2cRunner, netForEnv, newEpisodes } from "./common.ts";
import type { A2cConfig } from "./config.ts";
import { a2cOptimizerConfig } from "./optimizer.ts";

/** Builds the GPU form of A2C for a resolved config: records the plan, resets the envs. */
export async function makeA2cGpu(gpu: Gpu, config: A2cConfig): Promise<A2cRunner> {
  const { numEnvs: N, rolloutSteps: T } = config;
  const env = await makeGpuEnv(gpu, config.env, N, config.envOptions);
  const net = netForEnv(env.spec, config);
  if (net.head.kind !== "categorical") {
    throw new RangeError(`A2C on the GPU: env ${config.env} needs a categorical policy`);
  }
  const A = policyOutputs(net.head);
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = createStorageBuffer(gpu, initParams(layout, config.seed), "a2c.params");
  const grads = createStorageBuffer(gpu, layout.size * 4, "a2c.grads");
  await env.reset(config.seed);

  // The rollout, time-major [T, N, ...]; observations as the env stores them (f32 or u8 words).
  const words = obsWords(env.spec);
  const buf = (count: number, label: string) => createStorageBuffer(gpu, count * 4, label);
  const obs = buf(T * N * words, "rollout.obs");
  const actions = buf(T * N, "rollout.actions");
  const rewards = buf(T * N, "rollout.rewards");
  const values = buf(T * N, "rollout.values");
  const terminated = buf(T * N, "rollout.terminated");
  const truncated = buf(T * N, "rollout.truncated");
  const lastValues = buf(N, "rollout.lastValues");
  const advantages = buf(T * N, "rollout.advantages");
  const returns = buf(T * N, "rollout.returns");
  const lossStats = buf(LOSS_STATS, "a2c.lossStats");
  const counter = createCounterBuffer(gpu, 0, "a2c.sampleCounter");

  const e = env.buffers;
  const actNet = await recordNet(gpu, net, offsets, { params, grads }, e.obs, N);
  const trainNet = await recordNet(gpu, net, offsets, { params, grads }, obs, T * N, {
    backward: true,
  });
  const optimizer = await recordOptimizerStep(gpu, a2cOptimizerConfig(config), {
    params,
    grads,
    size: layout.size,
  });

  const plan: Dispatch[] = [];
  const sample = await recordSampleCategorical(
    gpu,
    { logits: actNet.policy, counter, actions: e.actions },
    { B: N, A, seed: config.seed },
  );
  const advance = await recordCounterAdvance(gpu, counter);
  for (let t = 0; t < T; t++) {
    // 1. Rollout step t: store s_t, evaluate the policy, sample a_t, step the envs.
    plan.push(await recordCopy(gpu, e.obs, obs, N * words, 0, t * N * words));
    plan.push(...actNet.forward);
    plan.push(await recordCopy(gpu, actNet.value, values, N, 0, t * N));
    plan.push(sample, advance);
    plan.push(await recordCopy(gpu, e.actions, actions, N, 0, t * N));
    plan.push(...env.stepPlan());
    plan.push(await recordCopy(gpu, e.reward, rewards, N, 0, t * N));
    plan.push(await recordCopy(gpu, e.terminated, terminated, N, 0, t * N));
    plan.push(await recordCopy(gpu, e.truncated, truncated, N, 0, t * N));
  }
  // 2. Bootstrap value V(s_T), then GAE advantages and λ-returns.
  plan.push(...actNet.forward);
  plan.push(await recordCopy(gpu, actNet.value, lastValues, N));
  plan.push(
    await recordGae(
      gpu,
      { rewards, values, terminated, truncated, lastValues, advantages, returns },
      { gamma: config.gamma, lambda: config.gaeLambda },
      T,
      N,
    ),
  );
  // 3. Forward and backward on the T·N batch through the fused actor-critic head.
  plan.push(...trainNet.forward);
  plan.push(
    ...await recordActorCriticLoss(
      gpu,
      {
        logits: trainNet.policy,
        values: trainNet.value,
        actions,
        advantages,
        returns,
        dLogits: trainNet.dPolicy,
        dValues: trainNet.dValue,
        stats: lossStats,
      },
      T * N,
      A,
      { valueCoef: config.valueCoef, entropyCoef: config.entropyCoef },
    ),
  );
  plan.push(...trainNet.backward);
  // 4. Global-norm clip, learning-rate schedule and optimizer step, all on the GPU.
  plan.push(...optimizer.dispatches);

  let iterations = 0;
  let episodesSeen = 0;
  return {
    net,
    parameterCount: layout.size,
    iterate() {
      submitPlan(gpu, plan);
      iterations++;
    },
    async report(): Promise<A2cReport> {
      const [loss, opt, stats] = await Promise.all([
        readFloats(gpu, lossStats),
        readFloats(gpu, optimizer.stats),
        env.episodeStats(),
      ]);
      const fresh = newEpisodes(stats, episodesSeen);
      episodesSeen = stats.count;
      const gradNorm = opt[0];
      return {
        steps: iterations * T * N,
        iterations,
        episodes: stats.count,
        newReturns: fresh.returns,
        newLengths: fresh.lengths,
        policyLoss: loss[LossStat.policyLoss],
        valueLoss: loss[LossStat.valueLoss],
        entropy: loss[LossStat.entropy],
        gradNorm,
        learningRate: opt[1],
        nonFinite: !Number.isFinite(gradNorm) || loss[LossStat.badRows] > 0 ||
          !Number.isFinite(loss[LossStat.loss]),
      };
    },
    getParams: () => readFloats(gpu, params, 0, layout.size),
    setParams(p: Float32Array) {
      if (p.length !== layout.size) {
        throw new RangeError(`setParams: got ${p.length} floats, the net has ${layout.size}`);
      }
      writeBuffer(gpu, params, p);
      return Promise.resolve();
    },
    dispose() {
      for (const b of [obs, actions, rewards, values, terminated, truncated, lastValues]) {
        b.destroy();
      }
    },
  };
}
