import assert from "node:assert/strict";
import {
  evaluateGreedy,
  makeAsyncNet,
  makeSharedState,
  resolveAsyncConfig,
  runLearner,
  trainAsync,
  workerSeed,
} from "../../src/algos/async/mod.ts";
import type {
  A3cConfig,
  AsyncConfig,
  AsyncQConfig,
  LearnerNet,
} from "../../src/algos/async/mod.ts";
import { computeGae } from "../../src/algos/gae.ts";
import { makeCpuEnv } from "../../src/envs/registry.ts";
import { actorCriticLoss, LOSS_STATS } from "../../src/nn/actor_critic.ts";
import { makeOptimizerState, optimizerStateSpecs, optimizerStep } from "../../src/nn/optim.ts";
import { initParams } from "../../src/nn/params.ts";
import { loadCheckpoint } from "../../src/nn/safetensors.ts";
import { sampleCategorical } from "../../src/nn/sample.ts";
import { makeRng } from "../../src/util/rng.ts";

const quiet = { handleSigint: false } as const;

Deno.test("async config: bad fields are refused, naming field, value and what is allowed", () => {
  assert.throws(
    () => resolveAsyncConfig({ algo: "a3c", workers: 0, gamma: 1.5, tMax: 2.5, lr: -1 }),
    (err: Error) => {
      assert.match(err.message, /workers: got 0, allowed an integer in \[1, 256\]/);
      assert.match(err.message, /gamma: got 1.5, allowed \(0, 1\]/);
      assert.match(err.message, /tMax: got 2.5, allowed an integer in \[1, 4096\]/);
      assert.match(err.message, /lr: got -1, allowed \(0, 1\]/);
      return true;
    },
  );
  assert.throws(
    () => resolveAsyncConfig({ algo: "dqn" } as never),
    /algo: got "dqn", allowed: a3c, one-step-q, one-step-sarsa, n-step-q/,
  );
  // A field of the other family is refused, naming the allowed fields.
  assert.throws(
    () => resolveAsyncConfig({ algo: "a3c", targetUpdateEvery: 10 } as never),
    /targetUpdateEvery: unknown field for algo a3c; allowed: .*entropyCoef/,
  );
  assert.throws(
    () => resolveAsyncConfig({ algo: "n-step-q", finalEpsilonProbs: [0.5, 0.5, 0.5] }),
    /finalEpsilonProbs: got \[0.5,0.5,0.5\], allowed: 3 numbers in \[0, 1\] summing to 1/,
  );
  // The paper's defaults.
  const q = resolveAsyncConfig({ algo: "one-step-q", env: "pong" });
  assert.equal(q.algo, "one-step-q");
  assert.deepEqual([q.rmsAlpha, q.rmsEps, q.maxGradNorm, q.gamma, q.lr], [
    0.99,
    0.1,
    40,
    0.99,
    7e-4,
  ]);
  assert.deepEqual((q as AsyncQConfig).finalEpsilonProbs, [0.4, 0.3, 0.3]);
});

Deno.test("async: net lstm is refused for the Q family, and A3C runs it with carried state", async () => {
  await assert.rejects(
    () => trainAsync({ algo: "n-step-q", env: "catch", net: "lstm" }, quiet),
    /net: "lstm" is supported by A3C only, not by n-step-q/,
  );
  // A3C with the conv + LSTM net on Catch's [1, 10, 5] grid: a few in-process updates move
  // the shared parameters, stay finite, and are reproducible from the seed.
  const config = resolveAsyncConfig({ algo: "a3c", env: "catch", net: "lstm", workers: 1 });
  const run = () => {
    const net = makeAsyncNet(config);
    assert.equal(net.hidden, 256);
    const shared = makeSharedState(net.layout, 1, false);
    initParams(net.layout, config.seed, shared.params);
    const before = shared.params.slice();
    const progress = runLearner(config, shared, 0, { maxUpdates: 4, net });
    assert.equal(progress.updates, 4);
    assert.ok(shared.params.every(Number.isFinite));
    assert.ok(shared.params.some((p, i) => p !== before[i]), "the parameters moved");
    return shared.params;
  };
  assert.deepEqual(Array.from(run()), Array.from(run()));

  // The carried state is right: the training forward over each rollout, started from the
  // state saved at the rollout's start, reproduces the values seen while acting step by step.
  const base = makeAsyncNet(config);
  let acted: number[] = [];
  let trained: number[] = [];
  let maxDiff = 0;
  let rollouts = 0;
  const net: LearnerNet = {
    ...base,
    forward(params, obs, batch, rec) {
      const out = base.forward(params, obs, batch, rec);
      if (rec?.hT) acted.push(out.value[0]);
      else trained = Array.from(out.value);
      return out;
    },
    backward(...args) {
      assert.equal(trained.length, acted.length);
      trained.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - acted[i]))));
      acted = [];
      rollouts++;
      base.backward(...args);
    },
  };
  const shared = makeSharedState(base.layout, 1, false);
  initParams(base.layout, config.seed, shared.params);
  runLearner(config, shared, 0, { maxUpdates: 6, net });
  assert.equal(rollouts, 6);
  assert.ok(maxDiff <= 1e-6, `acting vs training values differ by ${maxDiff}`);
});

/**
 * A single-threaded A3C written from the primitives, on ordinary (non-shared) arrays: the
 * reference that one worker's shared-RMSProp run must reproduce exactly.
 */
function referenceA3c(config: A3cConfig, updates: number): Float32Array {
  const net = makeAsyncNet(config);
  const A = net.actions;
  const params = initParams(net.layout, config.seed);
  const grads = new Float32Array(net.layout.size);
  const opt = {
    kind: "rmsprop" as const,
    lr: config.lr,
    alpha: config.rmsAlpha,
    eps: config.rmsEps,
    maxGradNorm: config.maxGradNorm,
    totalSteps: config.annealLr ? config.totalSteps : 0,
  };
  const state = makeOptimizerState(opt, net.layout.size);
  const seed = workerSeed(config, 0);
  const env = makeCpuEnv(config.env, 1, config.envOptions);
  env.reset(seed);
  const obsSize = env.obs.length;
  let T = 0;
  let counter = 0;
  for (let u = 0; u < updates; u++) {
    const local = params.slice();
    const obs = new Float32Array(config.tMax * obsSize);
    const acts: number[] = [];
    const rewards: number[] = [];
    const values: number[] = [];
    const term: number[] = [];
    const trunc: number[] = [];
    while (acts.length < config.tMax) {
      obs.set(env.obs, acts.length * obsSize);
      const out = net.forward(local, env.obs, 1);
      values.push(out.value[0]);
      const a = new Int32Array(1);
      sampleCategorical({ logits: out.policy, actions: a, B: 1, A, seed, counter: counter++ });
      acts.push(a[0]);
      env.step(a);
      T++;
      rewards.push(env.reward[0]);
      term.push(env.terminated[0]);
      trunc.push(env.truncated[0]);
      if (env.terminated[0] || env.truncated[0]) break;
    }
    const n = acts.length;
    const done = term[n - 1] || trunc[n - 1];
    const last = new Float32Array([done ? 0 : net.forward(local, env.obs, 1).value[0]]);
    // A time limit bootstraps from the final observation the env kept.
    const final = new Float32Array([
      trunc[n - 1] ? net.forward(local, env.finalObs, 1).value[0] : 0,
    ]);
    const adv = new Float32Array(n);
    const ret = new Float32Array(n);
    computeGae({
      rewards: new Float32Array(rewards),
      values: new Float32Array(values),
      terminated: term,
      truncated: trunc,
      lastValues: last,
      finalValues: final,
      gamma: config.gamma,
      lambda: 1,
      T: n,
      N: 1,
      advantages: adv,
      returns: ret,
    });
    const batch = obs.subarray(0, n * obsSize);
    const out = net.forward(local, batch, n);
    const dLogits = new Float32Array(n * A);
    const dValues = new Float32Array(n);
    actorCriticLoss({
      logits: out.policy,
      values: out.value,
      actions: new Int32Array(acts),
      advantages: adv,
      returns: ret,
      dLogits,
      dValues,
      stats: new Float32Array(LOSS_STATS),
      B: n,
      A,
    }, {
      valueCoef: config.valueCoef,
      // β at the global step after the rollout, annealed to 0 over the budget.
      entropyCoef: config.entropyCoef *
        (config.annealEntropy ? Math.max(0, 1 - T / config.totalSteps) : 1),
      scale: 1,
    });
    net.backward(local, grads, batch, n, dLogits, dValues);
    state.step = T;
    optimizerStep(opt, state, params, grads);
  }
  return params;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("async: one worker's shared RMSProp on SharedArrayBuffers == a single-threaded reference", () => {
  const base = {
    algo: "a3c",
    env: "catch",
    workers: 1,
    seed: 11,
    lr: 1e-2,
    annealLr: true,
    totalSteps: 10_000,
    maxGradNorm: 0.5, // small, so clipping is exercised
  } as const;
  // The second case anneals β over 300 steps: its 45 updates (at most 225 steps) end with β
  // at a quarter or less.
  const cases = [
    { updates: 60, extra: {} },
    { updates: 45, extra: { annealEntropy: true, entropyCoef: 0.05, totalSteps: 300 } },
  ];
  for (const { updates, extra } of cases) {
    const config = resolveAsyncConfig({ ...base, ...extra }) as A3cConfig;
    const net = makeAsyncNet(config);
    const shared = makeSharedState(net.layout, 1, false);
    initParams(net.layout, config.seed, shared.params);
    const progress = runLearner(config, shared, 0, { maxUpdates: updates });
    assert.equal(progress.updates, updates);
    const reference = referenceA3c(config, updates);
    const diff = maxAbsDiff(reference, shared.params);
    assert.ok(diff <= 1e-6, `${JSON.stringify(extra)}: max |θ_shared − θ_reference| = ${diff}`);
    assert.ok(shared.rmsG.some((g) => g > 0), "the shared RMSProp statistics moved");
    if (config.annealEntropy) {
      // The schedule matters: β held at 0.05 lands elsewhere.
      const held = referenceA3c({ ...config, annealEntropy: false }, updates);
      assert.ok(maxAbsDiff(held, reference) > 1e-4, "annealing β changed nothing");
    }
  }
});

Deno.test("async: a real Worker (W = 1) reproduces the in-process learner exactly (Sarsa, target net)", async () => {
  const overrides = {
    algo: "one-step-sarsa" as const,
    env: "catch",
    workers: 1,
    seed: 5,
    totalSteps: 3_000,
    targetUpdateEvery: 250,
  };
  const result = await trainAsync(overrides, quiet);
  const config: AsyncConfig = result.config;
  const net = makeAsyncNet(config);
  const shared = makeSharedState(net.layout, 1, true);
  initParams(net.layout, config.seed, shared.params);
  shared.target.set(shared.params);
  runLearner(config, shared, 0);
  assert.equal(result.last.globalSteps, Atomics.load(shared.control, 0));
  assert.ok(result.last.targetRefreshes >= 10, `target refreshes ${result.last.targetRefreshes}`);
  assert.deepEqual(Array.from(result.shared.params), Array.from(shared.params));
  assert.deepEqual(Array.from(result.shared.target), Array.from(shared.target));
  assert.deepEqual(Array.from(result.shared.rmsG), Array.from(shared.rmsG));
});

// Random play on Catch (5 columns): measured over 3000 episodes below (≈ −0.6).
function randomCatchReturn(): number {
  const env = makeCpuEnv("catch", 1);
  env.reset(99);
  const rng = makeRng(99, 3);
  const a = new Int32Array(1);
  while (env.episodeStats().count < 3000) {
    a[0] = rng.int(3);
    env.step(a);
  }
  const r = env.episodeStats().returns;
  return r.reduce((x, y) => x + y, 0) / r.length;
}

// A3C: the mean of the last 100 training episodes reached 0.98–1.0 by 60k global steps on
// seeds 1..8 (0.54 on seed 5 at 30k). The test stops early at 0.9.
// Hogwild runs are not reproducible (the interleaving of the workers' updates varies), so the
// budget has room: on a loaded 2-core machine seed 3 reached 0.9 within 18k to 44k steps
// (18 of 18 runs), but under the parallel test suite one run in about twenty stalled: near 0.6
// for 60k steps once, and at 0.76 after 150k once. 400k steps take about 3 s on 2 idle cores.
Deno.test("async a3c solves Catch with 2 workers: mean return of the last 100 ≥ 0.8 within 400k steps", async () => {
  const result = await trainAsync(
    { algo: "a3c", env: "catch", workers: 2, seed: 3, totalSteps: 400_000 },
    { ...quiet, targetReturn: 0.9 },
  );
  assert.ok(
    result.last.returnMean100 >= 0.8,
    `mean return ${result.last.returnMean100} after ${result.last.globalSteps} steps`,
  );
});

// The Q family's training returns include each worker's exploration (a worker may keep
// ε = 0.5 for good), so the learned Q-function is judged by its greedy policy: 200 episodes.
// n-step Q's greedy return at 150k steps was 1.0 on seeds 1, 6, 7, 8 (at 60k: 1.0 on seeds 2..5,
// 0.64 on seeds 1 and 6).
Deno.test("async n-step Q solves Catch with 2 workers: greedy mean return ≥ 0.8 within 150k steps", async () => {
  const result = await trainAsync(
    { algo: "n-step-q", env: "catch", workers: 2, seed: 2, totalSteps: 150_000 },
    quiet,
  );
  const greedy = evaluateGreedy(result.config, result.shared.params, 200, 4242);
  assert.ok(greedy >= 0.8, `greedy mean return ${greedy}`);
});

// One-step Q and Sarsa propagate the reward one step per target refresh and learn Catch more
// slowly: over seeds 1..6 at 300k steps their greedy return was 1.0 on 8 of 12 runs and ≥ 0.59
// on the rest (at 100k it ranged from −0.67 to 1.0). The bar: beat random play (≈ −0.6) by at
// least 0.5 within 300k steps.
for (const algo of ["one-step-q", "one-step-sarsa"] as const) {
  Deno.test(`async ${algo} beats random play on Catch by ≥ 0.5 (greedy, 2 workers, 300k steps)`, async () => {
    const random = randomCatchReturn();
    assert.ok(random < -0.4 && random > -0.8, `random play scored ${random}`);
    const result = await trainAsync(
      { algo, env: "catch", workers: 2, seed: 3, totalSteps: 300_000 },
      quiet,
    );
    const greedy = evaluateGreedy(result.config, result.shared.params, 200, 4242);
    assert.ok(
      greedy >= random + 0.5,
      `greedy mean return ${greedy} vs random ${random.toFixed(3)}`,
    );
  });
}

Deno.test("async: faults are injected like nets, by the caller, never by a config field", async () => {
  assert.throws(
    () => resolveAsyncConfig({ workers: 2, faultWorker: 1 } as never),
    /faultWorker: unknown field for algo a3c/,
  );
  await assert.rejects(
    () =>
      trainAsync({ algo: "a3c", env: "catch", workers: 2 }, {
        ...quiet,
        injectFault: { worker: 2, atStep: 0 },
      }),
    /injectFault\.worker: got 2, allowed a worker id in \[0, 1\]/,
  );
  // In-process, as the tests inject nets: the learner throws at its step 3.
  const config = resolveAsyncConfig({ algo: "a3c", env: "catch", workers: 1 });
  const shared = makeSharedState(makeAsyncNet(config).layout, 1, false);
  assert.throws(
    () => runLearner(config, shared, 0, { maxUpdates: 10, faultAtStep: 3 }),
    /fault injected by the test hook at local step 3 \(worker 0\)/,
  );
});

Deno.test("async: a failing worker is reported by id, all stop, the checkpoint is written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ckpt/fault.safetensors`;
  const faults: number[] = [];
  try {
    await assert.rejects(
      () =>
        trainAsync({
          algo: "n-step-q",
          env: "catch",
          workers: 2,
          totalSteps: 1_000_000,
          checkpointPath: path,
          joinTimeoutSeconds: 5,
        }, {
          ...quiet,
          onFault: (f) => faults.push(f.id),
          injectFault: { worker: 1, atStep: 500 },
        }),
      (err: Error) => {
        assert.match(
          err.message,
          /worker 1 failed: fault injected by the test hook at local step 500/,
        );
        assert.match(err.message, /saved to .*fault\.safetensors/);
        return true;
      },
    );
    assert.deepEqual(faults, [1]);
    const config = resolveAsyncConfig({ algo: "n-step-q", env: "catch" });
    const layout = makeAsyncNet(config).layout;
    const ckpt = await loadCheckpoint(path, layout, {
      extraPrefixes: ["optim.", "target."],
      requireExtra: optimizerStateSpecs({ kind: "rmsprop", lr: 1 }, layout),
    });
    const steps = Number(ckpt.metadata["async.globalSteps"]);
    assert.ok(steps >= 500 && steps < 1_000_000, `checkpoint at global step ${steps}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("async: a log hook that throws stops every worker and rejects (no hang)", async () => {
  const t0 = performance.now();
  await assert.rejects(
    () =>
      trainAsync(
        { algo: "a3c", env: "catch", workers: 2, totalSteps: 100_000_000, logEvery: 1000 },
        {
          ...quiet,
          onLog() {
            throw new Error("hook failed");
          },
        },
      ),
    /hook failed/,
  );
  assert.ok(performance.now() - t0 < 20_000, "the run ended within the join timeout");
});
