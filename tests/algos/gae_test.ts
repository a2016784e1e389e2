import assert from "node:assert/strict";
import { computeGae } from "../../src/algos/gae.ts";
import { recordGae } from "../../src/algos/gae_gpu.ts";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { makeRng } from "../../src/util/rng.ts";
import { assertClose, gpuTest } from "../util.ts";

Deno.test("gae: hand-computed single env, T = 3, no episode end", () => {
  // γ = 0.5, λ = 0.5; rewards 1, 2, 3; values 0.5, 1, 1.5; V(s_3) = 2.
  // δ2 = 3 + 0.5·2 − 1.5 = 2.5; δ1 = 2 + 0.5·1.5 − 1 = 1.75; δ0 = 1 + 0.5·1 − 0.5 = 1
  // A2 = 2.5; A1 = 1.75 + 0.25·2.5 = 2.375; A0 = 1 + 0.25·2.375 = 1.59375
  const adv = new Float64Array(3);
  const ret = new Float64Array(3);
  computeGae({
    rewards: new Float64Array([1, 2, 3]),
    values: new Float64Array([0.5, 1, 1.5]),
    terminated: [0, 0, 0],
    truncated: [0, 0, 0],
    lastValues: new Float64Array([2]),
    finalValues: new Float64Array([99]), // no truncation: never read
    gamma: 0.5,
    lambda: 0.5,
    T: 3,
    N: 1,
    advantages: adv,
    returns: ret,
  });
  assert.deepEqual([...adv], [1.59375, 2.375, 2.5]);
  assert.deepEqual([...ret], [2.09375, 3.375, 4]);
});

Deno.test("gae: terminal cuts the trace and the bootstrap; truncation bootstraps from V(s_final)", () => {
  const adv = new Float64Array(2);
  const ret = new Float64Array(2);
  const inputs = {
    rewards: new Float64Array([1, 1]),
    values: new Float64Array([0.25, 0.75]),
    terminated: [1, 0],
    truncated: [0, 0],
    lastValues: new Float64Array([4]),
    finalValues: new Float64Array([3]),
  };
  computeGae({ ...inputs, gamma: 0.5, lambda: 1, T: 2, N: 1, advantages: adv, returns: ret });
  // step 1: δ = 1 + 0.5·4 − 0.75 = 2.25; step 0 terminal: δ = 1 − 0.25 = 0.75, no trace.
  assert.deepEqual([...adv], [0.75, 2.25]);
  computeGae({
    ...inputs,
    terminated: [0, 0],
    truncated: [1, 0],
    gamma: 0.5,
    lambda: 1,
    T: 2,
    N: 1,
    advantages: adv,
    returns: ret,
  });
  // step 0 truncated: δ = 1 + 0.5·V(s_final) − 0.25 = 1 + 1.5 − 0.25 = 2.25 (the old stand-in
  // V(s_0) gave 0.875), no trace from step 1.
  assert.deepEqual([...adv], [2.25, 2.25]);
  assert.deepEqual([...ret], [2.5, 3]);
});

Deno.test("gae: a time limit inside the rollout, hand-computed (γ 0.9, λ 0.8, T 4)", () => {
  // Steps 0, 1 in episode A, truncated at step 1 with V(s_final) = 10; steps 2, 3 in episode
  // B, V(s_4) = 2. Rewards 1; values 5, 6, 7, 8.
  // δ3 = 1 + 0.9·2 − 8 = −5.2            A3 = −5.2
  // δ2 = 1 + 0.9·8 − 7 = 1.2             A2 = 1.2 + 0.72·(−5.2) = −2.544
  // δ1 = 1 + 0.9·10 − 6 = 4 (truncated)  A1 = 4 (the trace stops)
  // δ0 = 1 + 0.9·6 − 5 = 1.4             A0 = 1.4 + 0.72·4 = 4.28
  const adv = new Float64Array(4);
  const ret = new Float64Array(4);
  computeGae({
    rewards: new Float64Array([1, 1, 1, 1]),
    values: new Float64Array([5, 6, 7, 8]),
    terminated: [0, 0, 0, 0],
    truncated: [0, 1, 0, 0],
    lastValues: new Float64Array([2]),
    finalValues: new Float64Array([10]),
    gamma: 0.9,
    lambda: 0.8,
    T: 4,
    N: 1,
    advantages: adv,
    returns: ret,
  });
  assertClose(adv, [4.28, 4, -2.544, -5.2], { atol: 1e-12, rtol: 0, name: "advantages" });
  assertClose(ret, [9.28, 10, 4.456, 2.8], { atol: 1e-12, rtol: 0, name: "returns" });
});

/**
 * Stable-Baselines3's `RolloutBuffer.compute_returns_and_advantage` (v2.x), transcribed, with
 * its handling of truncation in `OnPolicyAlgorithm.collect_rollouts`: where an episode was
 * truncated, `rewards[t] += gamma * V(terminal_observation)`, and `dones` counts it as done.
 */
function sb3Gae(
  r: Float64Array,
  v: Float64Array,
  term: number[],
  trunc: number[],
  last: Float64Array,
  final: Float64Array,
  gamma: number,
  lambda: number,
  T: number,
  N: number,
): Float64Array {
  const rewards = r.slice();
  const dones = term.map((d, i) => (d || trunc[i] ? 1 : 0));
  for (let i = 0; i < T * N; i++) if (trunc[i]) rewards[i] += gamma * final[i % N];
  const out = new Float64Array(T * N);
  for (let e = 0; e < N; e++) {
    let lastGaeLam = 0;
    for (let step = T - 1; step >= 0; step--) {
      // episode_starts[step + 1] is dones[step]; at the last step SB3 uses the env's dones.
      const nextNonTerminal = 1 - dones[step * N + e];
      const nextValues = step === T - 1 ? last[e] : v[(step + 1) * N + e];
      const delta = rewards[step * N + e] + gamma * nextValues * nextNonTerminal -
        v[step * N + e];
      lastGaeLam = delta + gamma * lambda * nextNonTerminal * lastGaeLam;
      out[step * N + e] = lastGaeLam;
    }
  }
  return out;
}

for (const [gamma, lambda] of [[0.99, 0.95], [0.9, 1], [0.97, 0]]) {
  Deno.test(`gae: matches Stable-Baselines3 with true final-state values (γ ${gamma}, λ ${lambda})`, () => {
    const T = 16;
    const N = 6;
    const x = randomRollout(T, N, 23);
    assert.ok(x.truncated.some((d) => d === 1), "the rollout has truncations");
    assertGaeMatches(sb3Gae, x, gamma, lambda, T, N);
  });
}

/** Direct O(T²) sum: A_t = Σ_l (γλ)^l δ_{t+l}, stopping after the first done step. */
function directGae(
  r: Float64Array,
  v: Float64Array,
  term: number[],
  trunc: number[],
  last: Float64Array,
  final: Float64Array,
  gamma: number,
  lambda: number,
  T: number,
  N: number,
): Float64Array {
  const out = new Float64Array(T * N);
  const delta = (t: number, e: number) => {
    const i = t * N + e;
    const next = term[i] ? 0 : trunc[i] ? final[e] : t === T - 1 ? last[e] : v[i + N];
    return r[i] + gamma * next - v[i];
  };
  for (let e = 0; e < N; e++) {
    for (let t = 0; t < T; t++) {
      let sum = 0;
      for (let l = 0; t + l < T; l++) {
        sum += (gamma * lambda) ** l * delta(t + l, e);
        const i = (t + l) * N + e;
        if (term[i] || trunc[i]) break;
      }
      out[t * N + e] = sum;
    }
  }
  return out;
}

/** A random rollout with terminations and at most one truncation per env (as the envs give). */
function randomRollout(T: number, N: number, seed: number) {
  const rng = makeRng(seed);
  const rewards = new Float64Array(T * N).map(() => rng.uniform(-1, 1));
  const values = new Float64Array(T * N).map(() => rng.uniform(-2, 2));
  const terminated = Array.from({ length: T * N }, () => (rng.unit() < 0.1 ? 1 : 0));
  const truncated = terminated.map(() => 0);
  for (let e = 0; e < N; e++) {
    const t = rng.int(T + 2); // T or T + 1: this env does not truncate
    if (t < T && terminated[t * N + e] === 0) truncated[t * N + e] = 1;
  }
  const lastValues = new Float64Array(N).map(() => rng.uniform(-2, 2));
  const finalValues = new Float64Array(N).map(() => rng.uniform(-2, 2));
  return { rewards, values, terminated, truncated, lastValues, finalValues };
}

for (const [gamma, lambda] of [[0.99, 0.95], [0.9, 1], [1, 0], [0.97, 0.5]]) {
  Deno.test(`gae: matches the direct O(T²) sum (γ ${gamma}, λ ${lambda})`, () => {
    const T = 17;
    const N = 5;
    const x = randomRollout(T, N, 11);
    assertGaeMatches(directGae, x, gamma, lambda, T, N);
  });
}

/** computeGae on rollout `x` against a reference formula, advantages and returns, to 1e-12. */
function assertGaeMatches(
  reference: typeof sb3Gae,
  x: ReturnType<typeof randomRollout>,
  gamma: number,
  lambda: number,
  T: number,
  N: number,
): void {
  const adv = new Float64Array(T * N);
  const ret = new Float64Array(T * N);
  computeGae({ ...x, gamma, lambda, T, N, advantages: adv, returns: ret });
  const { rewards, values, terminated, truncated, lastValues, finalValues } = x;
  const expected = reference(
    rewards,
    values,
    terminated,
    truncated,
    lastValues,
    finalValues,
    gamma,
    lambda,
    T,
    N,
  );
  assertClose(adv, expected, { atol: 1e-12, rtol: 1e-12, name: "advantages" });
  assertClose(ret, expected.map((a, i) => a + values[i]), {
    atol: 1e-12,
    rtol: 1e-12,
    name: "returns",
  });
}

Deno.test("gae: refuses bad γ, λ and lengths, naming the field", () => {
  const x = randomRollout(2, 2, 1);
  const out = () => new Float64Array(4);
  assert.throws(
    () =>
      computeGae({ ...x, gamma: 1.5, lambda: 0.9, T: 2, N: 2, advantages: out(), returns: out() }),
    /gamma: got 1.5, allowed \(0, 1\]/,
  );
  assert.throws(
    () =>
      computeGae({ ...x, gamma: 0.9, lambda: -0.1, T: 2, N: 2, advantages: out(), returns: out() }),
    /lambda: got -0.1, allowed \[0, 1\]/,
  );
  assert.throws(
    () =>
      computeGae({ ...x, gamma: 0.9, lambda: 0.9, T: 3, N: 2, advantages: out(), returns: out() }),
    /gae: rewards has 4 elements, expected 6/,
  );
});

gpuTest("gae: WGSL matches the twin (T 9, N 70)", async (gpu) => {
  const T = 9;
  const N = 70;
  const x = randomRollout(T, N, 5);
  const f32 = (a: ArrayLike<number>) => new Float32Array(a);
  const adv = new Float32Array(T * N);
  const ret = new Float32Array(T * N);
  const inputs = {
    ...x,
    rewards: f32(x.rewards),
    values: f32(x.values),
    lastValues: f32(x.lastValues),
    finalValues: f32(x.finalValues),
  };
  computeGae({ ...inputs, gamma: 0.99, lambda: 0.95, T, N, advantages: adv, returns: ret });
  const advB = createStorageBuffer(gpu, T * N * 4);
  const retB = createStorageBuffer(gpu, T * N * 4);
  const dispatch = await recordGae(gpu, {
    rewards: createStorageBuffer(gpu, inputs.rewards),
    values: createStorageBuffer(gpu, inputs.values),
    terminated: createStorageBuffer(gpu, new Uint32Array(x.terminated)),
    truncated: createStorageBuffer(gpu, new Uint32Array(x.truncated)),
    lastValues: createStorageBuffer(gpu, inputs.lastValues),
    finalValues: createStorageBuffer(gpu, inputs.finalValues),
    advantages: advB,
    returns: retB,
    gamma: 0.99,
    lambda: 0.95,
    T,
    N,
  });
  await runPlan(gpu, [dispatch]);
  // Same operations in the same order; only f32 vs f64 rounding of the twin differs.
  assertClose(await readFloats(gpu, advB), adv, { atol: 1e-5, rtol: 1e-5, name: "advantages" });
  assertClose(await readFloats(gpu, retB), ret, { atol: 1e-5, rtol: 1e-5, name: "returns" });
});
