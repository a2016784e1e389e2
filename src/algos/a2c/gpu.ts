/**
 * A2C on the GPU: the whole iteration for N envs in lockstep, recorded once as a static plan
 * (docs/architecture.md, "Static plans") and replayed with one submit per iteration; the CPU reads nothing back
 * inside the loop. The same steps as the CPU form (`cpu.ts`), in the same order:
 *
 * 1. Rollout, for t < T: store obs_t (and, for a recurrent net, the episode-start flags and
 *    at t = 0 the LSTM state), policy forward on the N envs, store V(s_t), sample
 *    actions (counter-based RNG, counter advanced on the GPU), store them, step the envs
 *    (auto-reset), store reward, terminated and truncated.
 * 2. Bootstrap V(s_T) and V(s_final) (the final observations the env kept where a time limit
 *    cut an episode), then GAE(γ, λ) advantages and λ-returns.
 * 3. Forward on the T·N batch, the fused actor-critic loss and gradients, backward.
 * 4. Global-norm clipping, learning-rate annealing and the RMSProp/Adam step, all on the GPU.
 *
 * Statistics (episode ring, loss terms, gradient norm, learning rate) come back in one
 * readback when the training loop asks for a report, every `logEvery` iterations, which the loop
 * awaits only one interval later (the GPU never drains while statistics come back).
 *
 * @module
 */

import { type Gpu, openGpu } from "../../gpu/device.ts";
import { createStorageBuffer, readBuffer, writeBuffer } from "../../gpu/buffers.ts";
import { recordCopy } from "../../gpu/copy.ts";
import { type Dispatch, submitPlan, throwIfDeviceErrors } from "../../gpu/plan.ts";
import { decodeEpisodeRing, EPISODE_RING_WORDS } from "../../envs/episodes.ts";
import { obsWords } from "../../envs/gpu_env.ts";
import { makeGpuEnv } from "../../envs/registry.ts";
import { LOSS_STATS, LossStat } from "../../nn/actor_critic.ts";
import { recordActorCriticLoss } from "../../nn/actor_critic_gpu.ts";
import { paramSpecs, policyOutputs } from "../../nn/model_spec.ts";
import { type GpuRecurrence, recordNetBackward, recordNetForward } from "../../nn/net_gpu.ts";
import { lstmLayer } from "../../nn/net_cpu.ts";
import { recordCopyRowsWhere, recordEpisodeStarts } from "../../gpu/flags.ts";
import type { OptimizerState } from "../../nn/optim.ts";
import {
  downloadOptimizerState,
  recordOptimizerStep,
  uploadOptimizerState,
} from "../../nn/optim_gpu.ts";
import { initParamsBy, makeLayout } from "../../nn/params.ts";
import {
  createCounterBuffer,
  recordCounterAdvance,
  recordSampleCategorical,
} from "../../nn/sample_gpu.ts";
import { recordGae } from "../gae_gpu.ts";
import {
  type A2cReport,
  type A2cRunner,
  checkRolloutFitsTimeLimit,
  netForEnv,
  newEpisodes,
} from "./common.ts";
import type { A2cConfig } from "./config.ts";
import { a2cOptimizerConfig } from "./optimizer.ts";

/** Builds the GPU form of A2C for a resolved config on `gpu` (default: the shared device). */
export async function makeA2cGpu(config: A2cConfig, gpu?: Gpu): Promise<A2cRunner> {
  const { numEnvs: N, rolloutSteps: T } = config;
  const device = gpu ?? await openGpu();
  if (!device) throw new Error("A2C on the GPU: no WebGPU adapter found (use backend cpu)");
  const g: Gpu = device;
  const env = await makeGpuEnv(g, config.env, N, config.envOptions);
  const net = netForEnv(env.spec, config);
  if (net.head.kind !== "categorical") {
    throw new RangeError(
      `A2C on the GPU: env ${config.env} needs a categorical policy (discrete actions)`,
    );
  }
  checkRolloutFitsTimeLimit(env.spec, T);
  const A = policyOutputs(net.head);
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = {
    buffer: createStorageBuffer(g, initParamsBy(config.init, layout, config.seed), "params"),
    offsets,
  };
  const grads = { buffer: createStorageBuffer(g, layout.size * 4, "grads"), offsets };
  const optConfig = a2cOptimizerConfig(config);

  // The rollout, time-major [T, N, ...]; u8 observations stay packed 4 to a word.
  const W = obsWords(env.spec);
  const buf = (words: number, label: string) => createStorageBuffer(g, words * 4, `a2c ${label}`);
  const obs = buf(T * N * W, "obs");
  const actions = buf(T * N, "actions");
  const rewards = buf(T * N, "rewards");
  const values = buf(T * N, "values");
  const terminated = buf(T * N, "terminated");
  const truncated = buf(T * N, "truncated");
  const lastValues = buf(N, "last values");
  const finalValues = buf(N, "final values");
  const advantages = buf(T * N, "advantages");
  const returns = buf(T * N, "returns");
  const dLogits = buf(T * N * A, "dLogits");
  const dValues = buf(T * N, "dValues");
  const lossStats = buf(LOSS_STATS, "loss stats");
  const counter = createCounterBuffer(g, 0, "a2c sample counter");

  const e = env.buffers;
  // A recurrent net keeps an LSTM state per env, reset where an episode starts; the training
  // forward replays the rollout from the state saved at its start (truncated BPTT over T).
  const H = lstmLayer(net)?.hidden ?? 0;
  const state = H
    ? {
      h: buf(N * H, "lstm h"),
      c: buf(N * H, "lstm c"),
      h0: buf(N * H, "lstm h0"),
      c0: buf(N * H, "lstm c0"),
      startsStep: buf(N, "starts"),
      starts: buf(T * N, "rollout starts"),
    }
    : undefined;
  const acting: GpuRecurrence | undefined = state && {
    T: 1,
    starts: state.startsStep,
    h0: state.h,
    c0: state.c,
    hT: state.h,
    cT: state.c,
  };
  const bootstrapping: GpuRecurrence | undefined = state &&
    { T: 1, starts: state.startsStep, h0: state.h, c0: state.c };
  const learning: GpuRecurrence | undefined = state &&
    { T, starts: state.starts, h0: state.h0, c0: state.c0 };
  // Time limits (docs/architecture.md, "Truncation"): the env's step kernel writes the final
  // observation where it truncates a copy; one value forward on those N rows per rollout gives
  // V(s_final) (a static plan cannot pick the truncated rows, so it runs on all N, which costs
  // one more acting-sized forward per T steps). A recurrent net keeps, per copy, the LSTM
  // state of the step that reached the limit.
  const timeLimit = env.spec.maxEpisodeSteps > 0;
  const final = timeLimit && state
    ? { h: buf(N * H, "final h"), c: buf(N * H, "final c"), noStarts: buf(N, "no starts") }
    : undefined;
  const finalForward = timeLimit
    ? await recordNetForward(
      g,
      net,
      params,
      e.finalObs,
      N,
      final && { T: 1, starts: final.noStarts, h0: final.h, c0: final.c },
    )
    : undefined;
  const act = await recordNetForward(g, net, params, e.obs, N, acting); // acting: batch N
  const boot = state ? await recordNetForward(g, net, params, e.obs, N, bootstrapping) : act;
  const train = await recordNetForward(g, net, params, obs, T * N, learning); // batch T·N
  const sample = await recordSampleCategorical(
    g,
    { logits: act.policy, counter, actions: e.actions },
    { B: N, A, seed: config.seed },
  );
  const advance = await recordCounterAdvance(g, counter);
  const plan: Dispatch[] = [];
  // 1. Rollout.
  for (let t = 0; t < T; t++) {
    plan.push(await recordCopy(g, e.obs, obs, N * W, 0, t * N * W));
    if (state) {
      if (t === 0) {
        plan.push(await recordCopy(g, state.h, state.h0, N * H));
        plan.push(await recordCopy(g, state.c, state.c0, N * H));
      }
      plan.push(await recordCopy(g, state.startsStep, state.starts, N, 0, t * N));
    }
    plan.push(...act.dispatches);
    plan.push(await recordCopy(g, act.value, values, N, 0, t * N));
    plan.push(sample, advance);
    plan.push(await recordCopy(g, e.actions, actions, N, 0, t * N));
    plan.push(...env.stepPlan());
    plan.push(await recordCopy(g, e.reward, rewards, N, 0, t * N));
    plan.push(await recordCopy(g, e.terminated, terminated, N, 0, t * N));
    plan.push(await recordCopy(g, e.truncated, truncated, N, 0, t * N));
    if (state && final) {
      plan.push(await recordCopyRowsWhere(g, e.truncated, state.h, final.h, N, H));
      plan.push(await recordCopyRowsWhere(g, e.truncated, state.c, final.c, N, H));
    }
    if (state) {
      plan.push(await recordEpisodeStarts(g, e.terminated, e.truncated, state.startsStep, N));
    }
  }
  // 2. Bootstrap V(s_T) and V(s_final), then GAE.
  plan.push(...boot.dispatches);
  plan.push(await recordCopy(g, boot.value, lastValues, N));
  if (finalForward) plan.push(...finalForward.dispatches);
  plan.push(
    await recordGae(g, {
      rewards,
      values,
      terminated,
      truncated,
      lastValues,
      // GAE reads the forward's value output directly (no copy); zeros without a time limit.
      finalValues: finalForward?.value ?? finalValues,
      advantages,
      returns,
      gamma: config.gamma,
      lambda: config.gaeLambda,
      T,
      N,
    }),
  );
  // 3. Forward, fused loss, backward on the T·N batch.
  plan.push(...train.dispatches);
  plan.push(
    ...await recordActorCriticLoss(
      g,
      {
        logits: train.policy,
        values: train.value,
        actions,
        advantages,
        returns,
        dLogits,
        dValues,
        stats: lossStats,
      },
      T * N,
      A,
      { valueCoef: config.valueCoef, entropyCoef: config.entropyCoef },
    ),
  );
  plan.push(...await recordNetBackward(g, net, params, grads, train, dLogits, dValues));
  // 4. Clip, anneal, optimizer step.
  const optimizer = await recordOptimizerStep(g, optConfig, {
    params: params.buffer,
    grads: grads.buffer,
    size: layout.size,
  });
  plan.push(...optimizer.dispatches);
  await env.reset(config.seed);
  throwIfDeviceErrors(g);

  let iterations = 0;
  let episodesSeen = 0;
  return {
    net,
    parameterCount: layout.size,
    layout,
    optimizer: optConfig,
    get iterations() {
      return iterations;
    },
    iterate() {
      submitPlan(g, plan);
      iterations++;
    },
    async report(): Promise<A2cReport> {
      // One readback: loss stats, optimizer stats and the episode ring, copied behind the
      // iterations submitted so far; the caller may go on submitting while it maps.
      const at = iterations;
      const size = (8 + 8 + EPISODE_RING_WORDS) * 4;
      const staging = g.device.createBuffer({
        size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: "a2c report",
      });
      const encoder = g.device.createCommandEncoder();
      encoder.copyBufferToBuffer(lossStats, 0, staging, 0, LOSS_STATS * 4);
      encoder.copyBufferToBuffer(optimizer.stats, 0, staging, 32, 32);
      encoder.copyBufferToBuffer(e.episodes, 0, staging, 64, EPISODE_RING_WORDS * 4);
      g.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const bytes = staging.getMappedRange().slice(0);
      staging.destroy();
      throwIfDeviceErrors(g);
      const f = new Float32Array(bytes, 0, 16);
      const stats = decodeEpisodeRing(new Uint32Array(bytes, 64, EPISODE_RING_WORDS));
      const fresh = newEpisodes(stats, episodesSeen);
      episodesSeen = stats.count;
      const gradNorm = f[8];
      const nonFinite = !Number.isFinite(gradNorm) || f[LossStat.badRows] > 0 ||
        !Number.isFinite(f[LossStat.loss]);
      return {
        steps: at * T * N,
        iterations: at,
        episodes: stats.count,
        newReturns: fresh.returns,
        newLengths: fresh.lengths,
        policyLoss: f[LossStat.policyLoss],
        valueLoss: f[LossStat.valueLoss],
        entropy: f[LossStat.entropy],
        gradNorm,
        learningRate: f[9],
        nonFinite,
      };
    },
    async getParams() {
      return new Float32Array(await readBuffer(g, params.buffer, 0, layout.size * 4));
    },
    setParams(p: Float32Array) {
      if (p.length !== layout.size) {
        throw new RangeError(`setParams: got ${p.length} floats, the net has ${layout.size}`);
      }
      writeBuffer(g, params.buffer, p);
      return Promise.resolve();
    },
    getOptimizerState: () => downloadOptimizerState(g, optimizer),
    setOptimizerState(state: OptimizerState) {
      uploadOptimizerState(g, optimizer, state);
      return Promise.resolve();
    },
    async setIterations(n: number) {
      // Resumed runs continue the sampling counter; the envs start fresh episodes.
      iterations = n;
      writeBuffer(g, counter, new Uint32Array([(n * T) >>> 0]));
      episodesSeen = 0;
      if (state) {
        for (const b of [state.h, state.c, state.startsStep]) {
          writeBuffer(g, b, new Float32Array(b.size / 4));
        }
      }
      await env.reset((config.seed + n) >>> 0);
    },
    dispose() {
      for (const b of [obs, actions, rewards, values, terminated, truncated, lastValues]) {
        b.destroy();
      }
      finalValues.destroy();
      for (const b of Object.values(final ?? {})) b.destroy();
      for (const b of [advantages, returns, dLogits, dValues, lossStats, counter]) b.destroy();
      for (const b of [params.buffer, grads.buffer, optimizer.first, optimizer.second]) {
        b.destroy();
      }
      for (const b of Object.values(state ?? {})) b.destroy();
      for (const f of [act, boot, train, ...finalForward ? [finalForward] : []]) {
        for (const b of [...f.pre, ...f.outputs, ...f.gradOutputs, f.policy, f.value]) {
          b.destroy();
        }
      }
    },
  };
}
