/**
 * Time limits (issue 13): a truncated episode is bootstrapped from V of its final
 * observation, on both backends and in the async learners. The value checks follow
 * Stable-Baselines3's `test_infinite_horizon`: an env whose episodes only ever end by the
 * time limit must drive V toward the infinite-horizon value, not a finite-horizon one.
 */
import assert from "node:assert/strict";
import { makeA2cCpu } from "../../src/algos/a2c/cpu.ts";
import { makeA2cGpu } from "../../src/algos/a2c/gpu.ts";
import { resolveA2cConfig } from "../../src/algos/a2c/config.ts";
import {
  clearEpisodeRing,
  createEpisodeRing,
  decodeEpisodeRing,
  recordEpisode,
} from "../../src/envs/episodes.ts";
import type { CpuVecEnv, Frame } from "../../src/envs/types.ts";
import { makeCpuLearnerNet } from "../../src/algos/async/net.ts";
import { mlpNet } from "../../src/nn/model_spec.ts";
import { assertClose, gpuTest } from "../util.ts";

const STATES = 4;

/**
 * N copies of a ring of 4 states (one-hot observations) that advances one state a step,
 * whatever the action; reward `reward(s)` for leaving state s; never terminates, truncated
 * after `limit` steps (then reset to state 0).
 */
function ringEnv(n: number, limit: number, reward: (s: number) => number): CpuVecEnv {
  const state = new Int32Array(n);
  const steps = new Int32Array(n);
  const ret = new Float64Array(n);
  const obs = new Float32Array(n * STATES);
  const finalObs = new Float32Array(n * STATES);
  const ring = createEpisodeRing();
  const write = (out: Float32Array, i: number) => {
    out.fill(0, i * STATES, (i + 1) * STATES);
    out[i * STATES + state[i]] = 1;
  };
  const env: CpuVecEnv = {
    spec: {
      name: "ring",
      obs: { shape: [STATES], dtype: "f32" },
      action: { kind: "discrete", n: 2 },
      maxEpisodeSteps: limit,
    },
    numEnvs: n,
    obs,
    reward: new Float32Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
    finalObs,
    reset() {
      clearEpisodeRing(ring);
      state.fill(0);
      steps.fill(0);
      ret.fill(0);
      for (let i = 0; i < n; i++) write(obs, i);
    },
    step() {
      for (let i = 0; i < n; i++) {
        env.reward[i] = reward(state[i]);
        ret[i] += env.reward[i];
        state[i] = (state[i] + 1) % STATES;
        steps[i]++;
        const trunc = steps[i] >= limit;
        env.truncated[i] = trunc ? 1 : 0;
        if (trunc) {
          write(finalObs, i);
          recordEpisode(ring, ret[i], steps[i]);
          state[i] = 0;
          steps[i] = 0;
          ret[i] = 0;
        }
        write(obs, i);
      }
    },
    episodeStats: () => decodeEpisodeRing(ring.words),
    render: (): Frame => ({ width: 1, height: 1, rgb: new Uint8Array(3) }),
  };
  return env;
}

/** The values V(s) of the 4 states under A2C trained on the ring env (CPU runner). */
async function trainedValues(
  reward: (s: number) => number,
  gamma: number,
  limit: number,
): Promise<number[]> {
  const N = 4;
  const iterations = 3000;
  const config = resolveA2cConfig({
    env: "cartpole", // replaced by the ring env; only the settings matter
    backend: "cpu",
    numEnvs: N,
    rolloutSteps: 5,
    gamma,
    gaeLambda: 1,
    lr: 1e-2,
    annealLr: true,
    totalSteps: iterations * 5 * N,
    entropyCoef: 0,
    hidden: [16],
    optimizer: "adam",
    maxGradNorm: 10,
    seed: 1,
  });
  const env = ringEnv(N, limit, reward);
  const runner = makeA2cCpu(config, env);
  for (let i = 0; i < iterations; i++) runner.iterate();
  const report = await runner.report();
  assert.ok(!report.nonFinite);
  const net = makeCpuLearnerNet(mlpNet(STATES, { kind: "categorical", actions: 2 }, [16]));
  const params = await runner.getParams();
  const eye = new Float32Array(STATES * STATES).map((_, k) => (k % (STATES + 1) === 0 ? 1 : 0));
  return [...net.forward(params, eye, STATES).value];
}

Deno.test("truncation: a constant reward whose episodes only truncate drives V to r/(1 − γ)", async () => {
  // γ 0.9, r = 1: V = 10 everywhere. Treating the time limit (6 steps) as terminal would give
  // the finite-horizon values 1 + 0.9 + … (at most 4.7 here).
  const values = await trainedValues(() => 1, 0.9, 6);
  assertClose(values, [10, 10, 10, 10], { atol: 0.15, rtol: 0, name: "V(s)" });
});

Deno.test("truncation: V(s) of each state matches the discounted sum when rewards differ by state", async () => {
  // r(s) = s around the ring; V(s) = Σ_j γ^j r((s + j) mod 4) / (1 − γ^4). Bootstrapping a
  // truncation from V(s_t) instead of V(s_final) is off by γ(V(s_t) − V(s_final)) there
  // (about 1.4 when the limit cuts 1 → 2), which moves V(1) by several tenths.
  const gamma = 0.9;
  const expected = [0, 1, 2, 3].map((s) => {
    let v = 0;
    for (let j = 0; j < STATES; j++) v += gamma ** j * ((s + j) % STATES);
    return v / (1 - gamma ** STATES);
  });
  const values = await trainedValues((s) => s, gamma, 6);
  assertClose(values, expected, { atol: 0.15, rtol: 0, name: "V(s)" });
});

Deno.test("truncation: a rollout longer than the time limit is refused, naming both", () => {
  const config = resolveA2cConfig({
    env: "cartpole",
    envOptions: { maxEpisodeSteps: 4 },
    rolloutSteps: 5,
    backend: "cpu",
  });
  assert.throws(
    () => makeA2cCpu(config),
    /rolloutSteps: got 5, allowed at most env cartpole's time limit 4 \(maxEpisodeSteps\)/,
  );
});

gpuTest(
  "truncation: A2C on the GPU matches the CPU form on CartPole cut at 7 steps",
  async (gpu) => {
    // Every episode that survives 7 steps is truncated, so most rollouts bootstrap from V(s_final).
    const config = resolveA2cConfig({
      env: "cartpole",
      envOptions: { maxEpisodeSteps: 7 },
      backend: "webgpu",
      seed: 4,
      numEnvs: 9,
      rolloutSteps: 5,
    });
    const cpu = makeA2cCpu(config);
    const onGpu = await makeA2cGpu(config, gpu);
    for (let i = 0; i < 6; i++) {
      cpu.iterate();
      onGpu.iterate();
    }
    const [a, b] = [await cpu.report(), await onGpu.report()];
    assert.ok([...a.newLengths].includes(7), "some episodes reached the time limit");
    assert.equal(b.episodes, a.episodes);
    assertClose([b.policyLoss, b.valueLoss, b.gradNorm], [a.policyLoss, a.valueLoss, a.gradNorm], {
      atol: 1e-4,
      rtol: 1e-3,
      name: "loss terms",
    });
    assertClose(await onGpu.getParams(), await cpu.getParams(), {
      atol: 1e-5,
      rtol: 1e-4,
      name: "parameters after 6 updates",
    });
    onGpu.dispose();
  },
);

gpuTest(
  "truncation: the conv + LSTM net on Pong cut at 4 steps, GPU against the CPU form",
  async (gpu) => {
    // The LSTM state of the step that reached the limit is kept per copy for V(s_final).
    const config = resolveA2cConfig({
      env: "pong",
      envOptions: { frameSize: 42, frameStack: 1, maxEpisodeSteps: 4 },
      net: "lstm",
      backend: "webgpu",
      seed: 2,
      numEnvs: 3,
      rolloutSteps: 3,
    });
    const cpu = makeA2cCpu(config);
    const onGpu = await makeA2cGpu(config, gpu);
    for (let i = 0; i < 4; i++) {
      cpu.iterate();
      onGpu.iterate();
    }
    const [a, b] = [await cpu.report(), await onGpu.report()];
    assert.ok([...a.newLengths].every((l) => l === 4) && a.episodes >= 6, "episodes cut at 4");
    assert.equal(b.episodes, a.episodes);
    assertClose([b.valueLoss, b.gradNorm], [a.valueLoss, a.gradNorm], { atol: 1e-5, rtol: 1e-4 });
    assertClose(await onGpu.getParams(), await cpu.getParams(), {
      atol: 1e-6,
      rtol: 1e-4,
      name: "parameters after 4 updates",
    });
    onGpu.dispose();
  },
);
