import assert from "node:assert/strict";
import {
  makePendulumCpu,
  PENDULUM_FX,
  PENDULUM_PHYSICS,
  pendulumDynamics,
  pendulumKernel,
  quantizeTorque,
} from "../../src/envs/pendulum.ts";
import { FX_PI, fxCos, fxRand, fxSin, fxToF32, fxWrapAngle } from "../../src/envs/fixed.ts";
import { makeGpuEnvFromKernel } from "../../src/envs/gpu_env.ts";
import { makeRng } from "../../src/util/rng.ts";
import { gpuTest } from "../util.ts";
import { assertGpuMatchesCpu } from "./check.ts";

/** Gymnasium's Pendulum-v1 step in float64: [θ, θ̇] and the reward. */
function floatStep(theta: number, thetaDot: number, u: number): [number, number, number] {
  const P = PENDULUM_PHYSICS;
  const norm = ((theta + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI;
  const cost = norm ** 2 + 0.1 * thetaDot ** 2 + 0.001 * u ** 2;
  let newDot = thetaDot +
    ((3 * P.g) / (2 * P.l) * Math.sin(theta) + (3 / (P.m * P.l ** 2)) * u) * P.dt;
  newDot = Math.min(Math.max(newDot, -P.maxSpeed), P.maxSpeed);
  return [theta + newDot * P.dt, newDot, -cost];
}

Deno.test("fixed point: sin and cos within 6e-5 over [-8π, 8π]; exact f32 conversion", () => {
  let worst = 0;
  for (let k = -8 * 205887 * 4; k <= 8 * 205887 * 4; k += 997) {
    const x = k / 4;
    const xi = Math.round(x);
    const r = xi / 65536;
    worst = Math.max(worst, Math.abs(fxToF32(fxSin(xi)) - Math.sin(r)));
    worst = Math.max(worst, Math.abs(fxToF32(fxCos(xi)) - Math.cos(r)));
  }
  assert.ok(worst < 6e-5, `worst error ${worst}`);
  assert.equal(fxToF32(65536 * 3 + 1), 3 + 1 / 65536);
  assert.equal(fxToF32(-(2 ** 30) - 1), -(2 ** 14)); // magnitude truncated to 24 bits
  assert.equal(fxWrapAngle(205888), -205887); // 2π in Q16.16 is 411775 = 2·FX_PI + 1
  assert.equal(fxWrapAngle(-205888), 205887);
  assert.equal(fxWrapAngle(-205887), -205887);
  assert.equal(fxWrapAngle(411775 * 3 + 5), 5);
});

Deno.test("pendulum: action quantisation clamps then floors u·2^16", () => {
  assert.equal(quantizeTorque(5), 2 * 65536);
  assert.equal(quantizeTorque(-Infinity), -2 * 65536);
  assert.equal(quantizeTorque(0.5), 32768);
  assert.equal(quantizeTorque(-1e-9), -1);
  assert.equal(quantizeTorque(Math.fround(0.1)), Math.floor(Math.fround(0.1) * 65536));
});

Deno.test("pendulum: fixed-point dynamics follow the float64 reference (one step: 3e-4; 40 steps: 5e-3 + 5e-3·|v|)", () => {
  const rng = makeRng(21);
  let worst = 0;
  for (let trial = 0; trial < 20; trial++) {
    // The exact start state of copy 0, drawn as the env draws it (counters 0 and 1).
    let theta = fxRand(trial, 0, 0, -FX_PI, FX_PI);
    let thetaDot = fxRand(trial, 0, 1, -PENDULUM_FX.INIT_SPEED, PENDULUM_FX.INIT_SPEED);
    const env = makePendulumCpu(1);
    env.reset(trial);
    assert.equal(env.obs[2], fxToF32(thetaDot));
    assert.equal(env.obs[1], fxToF32(fxSin(theta)));
    let ref = [theta / 65536, thetaDot / 65536];
    for (let t = 0; t < 40; t++) {
      const a = Math.fround(rng.uniform(-2.5, 2.5));
      const u = quantizeTorque(a);
      const next = pendulumDynamics(theta, thetaDot, u);
      const [rt, rd, rr] = floatStep(ref[0], ref[1], u / 65536);
      // Local error: one float step from the fixed-point state itself.
      const [lt, ld, lr] = floatStep(theta / 65536, thetaDot / 65536, u / 65536);
      assert.ok(Math.abs(fxToF32(-next.cost) - lr) < 3e-4, `local reward ${t}`);
      assert.ok(Math.abs(fxToF32(next.thetaDot) - ld) < 3e-4, `local theta_dot ${t}`);
      assert.ok(Math.abs(fxToF32(fxSin(next.theta)) - Math.sin(lt)) < 3e-4, `local sin ${t}`);
      const checks: [number, number][] = [
        [fxToF32(-next.cost), rr],
        [fxToF32(fxCos(next.theta)), Math.cos(rt)],
        [fxToF32(fxSin(next.theta)), Math.sin(rt)],
        [fxToF32(next.thetaDot), rd],
      ];
      for (const [got, want] of checks) {
        const err = Math.abs(got - want);
        worst = Math.max(worst, err);
        assert.ok(
          err <= 5e-3 + 5e-3 * Math.abs(want),
          `trial ${trial} step ${t}: ${got} vs ${want}`,
        );
      }
      theta = next.theta;
      thetaDot = next.thetaDot;
      ref = [rt, rd];
    }
  }
  assert.ok(worst > 0);
});

Deno.test("pendulum: truncation every maxEpisodeSteps, never terminated; returns sum rewards", () => {
  const n = 3;
  const env = makePendulumCpu(n, { maxEpisodeSteps: 25 });
  env.reset(2);
  const rng = makeRng(4);
  const sums = new Float64Array(n);
  for (let t = 1; t <= 50; t++) {
    env.step(Float32Array.from({ length: n }, () => rng.uniform(-3, 3)));
    for (let i = 0; i < n; i++) {
      assert.equal(env.terminated[i], 0);
      assert.equal(env.truncated[i], t % 25 === 0 ? 1 : 0);
      assert.ok(env.reward[i] <= 0 && env.reward[i] >= -16.3);
      const [c, s, d] = env.obs.subarray(3 * i, 3 * i + 3);
      assert.ok(Math.abs(c * c + s * s - 1) < 3e-4 && Math.abs(d) <= 8);
      sums[i] += env.reward[i];
    }
    if (t === 25) {
      const stats = env.episodeStats();
      assert.equal(stats.count, 3);
      for (let i = 0; i < n; i++) {
        assert.equal(stats.lengths[i], 25);
        assert.ok(Math.abs(stats.returns[i] - sums[i]) < 1e-3, `${stats.returns[i]} vs ${sums[i]}`);
      }
    }
  }
  assert.equal(env.episodeStats().count, 6);
  assert.throws(() => env.step(new Float32Array([0, NaN, 0])), /copy 1 is NaN/);
});

Deno.test("pendulum: determinism by seed", () => {
  const run = (seed: number) => {
    const env = makePendulumCpu(4);
    env.reset(seed);
    const rng = makeRng(8);
    const out: number[] = [];
    for (let t = 0; t < 250; t++) {
      env.step(Float32Array.from({ length: 4 }, () => rng.uniform(-2, 2)));
      out.push(...env.obs, ...env.reward);
    }
    return out;
  };
  assert.deepEqual(run(10), run(10));
  assert.notDeepEqual(run(10), run(11));
});

for (const seed of [3, 99, 4242]) {
  gpuTest(
    `pendulum: GPU matches the CPU twin bit for bit (seed ${seed}, N 37, 2000 steps)`,
    async (gpu) => {
      const n = 37;
      const cpu = makePendulumCpu(n);
      const env = await makeGpuEnvFromKernel(gpu, pendulumKernel(), n);
      const rng = makeRng(seed, 5);
      // Actions beyond the clip bound and exactly on it are included.
      const stats = await assertGpuMatchesCpu(gpu, cpu, env, {
        seed: seed,
        steps: 2000,
        chunk: 500,
        actions: () =>
          Float32Array.from({ length: n }, () => {
            const r = rng.unit();
            return r < 0.05 ? 2 : r < 0.1 ? -7 : rng.uniform(-3, 3);
          }),
      });
      assert.equal(stats.count, 37 * 10);
      assert.equal(stats.truncations, 37 * 10, "final observations compared");
    },
  );
}
