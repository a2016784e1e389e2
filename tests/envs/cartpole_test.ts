import assert from "node:assert/strict";
import {
  CARTPOLE_FX,
  CARTPOLE_PHYSICS,
  cartPoleDynamics,
  cartPoleKernel,
  makeCartPoleCpu,
} from "../../src/envs/cartpole.ts";
import { fxToF32 } from "../../src/envs/fixed.ts";
import { makeGpuEnvFromKernel } from "../../src/envs/gpu_env.ts";
import { makeRng } from "../../src/util/rng.ts";
import { gpuTest } from "../util.ts";
import { assertGpuMatchesCpu, randomActions } from "./check.ts";

/** Gymnasium's CartPole-v1 Euler step in float64. */
function floatStep(s: number[], push: number): number[] {
  const P = CARTPOLE_PHYSICS;
  const [x, xDot, theta, thetaDot] = s;
  const totalMass = P.massPole + P.massCart;
  const poleMassLength = P.massPole * P.length;
  const force = push === 1 ? P.forceMag : -P.forceMag;
  const c = Math.cos(theta);
  const sn = Math.sin(theta);
  const temp = (force + poleMassLength * thetaDot ** 2 * sn) / totalMass;
  const thetaAcc = (P.gravity * sn - c * temp) /
    (P.length * (4 / 3 - (P.massPole * c ** 2) / totalMass));
  const xAcc = temp - (poleMassLength * thetaAcc * c) / totalMass;
  return [
    x + P.tau * xDot,
    xDot + P.tau * xAcc,
    theta + P.tau * thetaDot,
    thetaDot + P.tau * thetaAcc,
  ];
}

Deno.test("cartpole: fixed-point dynamics follow the float64 reference (1e-3 + 1e-3·|v|) for 40 steps", () => {
  const rng = makeRng(11);
  let worst = 0;
  for (let trial = 0; trial < 20; trial++) {
    const env = makeCartPoleCpu(1);
    env.reset(trial);
    let fixed = {
      x: Math.round(env.obs[0] * 65536),
      xDot: Math.round(env.obs[1] * 65536),
      theta: Math.round(env.obs[2] * 65536),
      thetaDot: Math.round(env.obs[3] * 65536),
    };
    let ref = [...env.obs];
    for (let t = 0; t < 40; t++) {
      const push = rng.int(2);
      fixed = cartPoleDynamics(fixed, push);
      ref = floatStep(ref, push);
      const got = [fixed.x, fixed.xDot, fixed.theta, fixed.thetaDot].map(fxToF32);
      for (let k = 0; k < 4; k++) {
        const err = Math.abs(got[k] - ref[k]);
        worst = Math.max(worst, err);
        assert.ok(
          err <= 1e-3 + 1e-3 * Math.abs(ref[k]),
          `trial ${trial} step ${t} var ${k}: ${got[k]} vs ${ref[k]}`,
        );
      }
      // Past the termination thresholds the (unstable) dynamics amplify any difference.
      if (Math.abs(ref[0]) > 2.4 || Math.abs(ref[2]) > CARTPOLE_PHYSICS.thetaThreshold) break;
    }
  }
  assert.ok(worst > 0, "suspiciously exact");
});

Deno.test("cartpole: start state in [-0.05, 0.05), reward 1, termination at the limits", () => {
  const n = 50;
  const env = makeCartPoleCpu(n);
  env.reset(3);
  const bound = fxToF32(CARTPOLE_FX.INIT_BOUND); // 0.05 in Q16.16
  for (const v of env.obs) assert.ok(v >= -bound && v < bound, `start value ${v}`);
  // Always pushing right tips the pole left... eventually every copy terminates.
  const right = new Int32Array(n).fill(1);
  const done = new Uint8Array(n);
  for (let t = 0; t < 200; t++) {
    env.step(right);
    assert.ok(env.reward.every((r) => r === 1));
    for (let i = 0; i < n; i++) {
      if (env.terminated[i]) done[i] = 1;
      assert.equal(env.truncated[i], 0);
    }
  }
  assert.ok(done.every((d) => d === 1), "every copy should have fallen");
  const stats = env.episodeStats();
  assert.ok(stats.count >= n);
  for (let k = 0; k < stats.count; k++) {
    assert.equal(stats.returns[k], stats.lengths[k]);
    assert.ok(stats.lengths[k] > 5 && stats.lengths[k] < 100, `length ${stats.lengths[k]}`);
  }
});

Deno.test("cartpole: truncation at maxEpisodeSteps is flagged as truncated, not terminated", () => {
  const env = makeCartPoleCpu(4, { maxEpisodeSteps: 7 });
  env.reset(9);
  // Alternate pushes keep the pole up for 7 steps.
  for (let t = 1; t <= 7; t++) {
    env.step(new Int32Array(4).fill(t % 2));
    for (let i = 0; i < 4; i++) {
      assert.equal(env.terminated[i], 0);
      assert.equal(env.truncated[i], t === 7 ? 1 : 0, `step ${t}`);
    }
  }
  const stats = env.episodeStats();
  assert.equal(stats.count, 4);
  assert.deepEqual([...stats.lengths], [7, 7, 7, 7]);
  assert.deepEqual([...stats.returns], [7, 7, 7, 7]);
});

Deno.test("cartpole: determinism by seed; out-of-range actions throw naming the copy", () => {
  const run = (seed: number) => {
    const env = makeCartPoleCpu(5);
    env.reset(seed);
    const rng = makeRng(1);
    const out: number[] = [];
    for (let t = 0; t < 300; t++) {
      env.step(Int32Array.from({ length: 5 }, () => rng.int(2)));
      out.push(...env.obs, ...env.terminated);
    }
    return out;
  };
  assert.deepEqual(run(4), run(4));
  assert.notDeepEqual(run(4), run(5));
  const env = makeCartPoleCpu(3);
  env.reset(0);
  assert.throws(
    () => env.step(new Int32Array([0, 2, 1])),
    /copy 1 is 2; allowed: an integer in \[0, 1\]/,
  );
  assert.throws(() => env.step(new Int32Array([0, 1])), /actions has 2 elements, expected 3/);
  assert.ok(CARTPOLE_FX.TAU_DIV === 50);
});

for (const seed of [1, 77, 2024]) {
  gpuTest(
    `cartpole: GPU matches the CPU twin bit for bit (seed ${seed}, N 37, 2000 steps)`,
    async (gpu) => {
      const n = 37;
      const cpu = makeCartPoleCpu(n, { maxEpisodeSteps: 150 });
      const env = await makeGpuEnvFromKernel(gpu, cartPoleKernel({ maxEpisodeSteps: 150 }), n);
      const rng = makeRng(seed, 3);
      const stats = await assertGpuMatchesCpu(gpu, cpu, env, {
        seed: seed,
        steps: 2000,
        chunk: 500,
        actions: randomActions(n, 2, rng),
      });
      assert.ok(stats.count > 100);
    },
  );
}

gpuTest("cartpole: truncation on the GPU with a policy that balances", async (gpu) => {
  // A simple controller (push toward the lean) reaches the time limit: truncated flags agree.
  const n = 5;
  const cpu = makeCartPoleCpu(n, { maxEpisodeSteps: 120 });
  const env = await makeGpuEnvFromKernel(gpu, cartPoleKernel({ maxEpisodeSteps: 120 }), n);
  // Precompute the actions with the CPU twin (it is bit-exact), then replay them on both.
  const probe = makeCartPoleCpu(n, { maxEpisodeSteps: 120 });
  probe.reset(6);
  const acts: Int32Array[] = [];
  let truncs = 0;
  for (let t = 0; t < 300; t++) {
    const a = Int32Array.from(
      { length: n },
      (_, i) => probe.obs[4 * i + 2] + 0.5 * probe.obs[4 * i + 3] > 0 ? 1 : 0,
    );
    acts.push(a);
    probe.step(a);
    truncs += probe.truncated.reduce((s, v) => s + v, 0);
  }
  assert.ok(truncs >= n, `the controller should reach the time limit (${truncs} truncations)`);
  const stats = await assertGpuMatchesCpu(gpu, cpu, env, {
    seed: 6,
    steps: 300,
    chunk: 150,
    actions: (t) => acts[t],
  });
  assert.ok([...stats.lengths].includes(120));
  assert.ok(stats.truncations >= n, "final observations compared");
});
