import assert from "node:assert/strict";
import { createEpisodeRing, decodeEpisodeRing, recordEpisode } from "../../src/envs/episodes.ts";
import { ENV_NAMES, envSpec, makeCpuEnv, makeGpuEnv } from "../../src/envs/registry.ts";
import { EPISODE_RING } from "../../src/envs/types.ts";
import type { Gpu } from "../../src/gpu/device.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { gpuTest } from "../util.ts";

Deno.test("registry: names and specs", () => {
  for (const name of ["catch", "cartpole", "pendulum"]) assert.ok(ENV_NAMES.includes(name));
  assert.deepEqual(envSpec("catch"), {
    name: "catch",
    obs: { shape: [1, 10, 5], dtype: "f32" },
    action: { kind: "discrete", n: 3 },
    maxEpisodeSteps: 0,
  });
  assert.equal(envSpec("cartpole").maxEpisodeSteps, 500);
  assert.deepEqual(envSpec("cartpole").action, { kind: "discrete", n: 2 });
  assert.equal(envSpec("pendulum").maxEpisodeSteps, 200);
  assert.deepEqual(envSpec("pendulum").action, { kind: "box", size: 1, low: -2, high: 2 });
  assert.equal(envSpec("pendulum", { maxEpisodeSteps: 10 }).maxEpisodeSteps, 10);
  const env = makeCpuEnv("cartpole", 2, { maxEpisodeSteps: 3 });
  assert.equal(env.numEnvs, 2);
  assert.equal(env.spec.maxEpisodeSteps, 3);
});

Deno.test("registry: bad arguments throw RangeErrors naming option, value and what is allowed", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => makeCpuEnv("pongg", 1), /unknown name "pongg"; allowed: catch, cartpole, pendulum/],
    [() => envSpec("Catch"), /unknown name "Catch"/],
    [() => makeCpuEnv("catch", 0), /numEnvs must be an integer >= 1, got 0/],
    [() => makeCpuEnv("catch", 2.5), /numEnvs must be an integer >= 1, got 2.5/],
    [
      () => makeCpuEnv("catch", 1, { rows: 2 }),
      /option rows = 2; allowed: an integer in \[3, 64\]/,
    ],
    [() => makeCpuEnv("catch", 1, { columns: 1.5 }), /option columns = 1.5/],
    [
      () => makeCpuEnv("cartpole", 1, { rows: 5 } as never),
      /env cartpole: unknown option "rows"; allowed: maxEpisodeSteps/,
    ],
    [
      () => envSpec("pendulum", { maxEpisodeSteps: 0 }),
      /option maxEpisodeSteps = 0; allowed: an integer in \[1, 1000000\]/,
    ],
    [() => envSpec("cartpole", null as never), /options must be an object/],
  ];
  for (const [fn, pattern] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof RangeError && pattern.test(e.message));
  }
});

Deno.test("registry: makeGpuEnv validates before touching the GPU", async () => {
  const noGpu = {} as Gpu; // any GPU call would throw a TypeError
  await assert.rejects(async () => await makeGpuEnv(noGpu, "nope", 4), RangeError);
  await assert.rejects(async () => await makeGpuEnv(noGpu, "catch", -1), /numEnvs/);
  await assert.rejects(
    async () => await makeGpuEnv(noGpu, "pendulum", 4, { maxEpisodeSteps: -5 }),
    /maxEpisodeSteps = -5/,
  );
});

Deno.test("episodes: ring keeps the last EPISODE_RING episodes, oldest first", () => {
  const ring = createEpisodeRing();
  assert.equal(decodeEpisodeRing(ring.words).count, 0);
  const total = EPISODE_RING + 10;
  for (let k = 0; k < total; k++) recordEpisode(ring, k * 0.5, k + 1);
  const stats = decodeEpisodeRing(ring.words);
  assert.equal(stats.count, total);
  assert.equal(stats.returns.length, EPISODE_RING);
  assert.equal(stats.returns[0], 10 * 0.5);
  assert.equal(stats.lengths[0], 11);
  assert.equal(stats.returns[EPISODE_RING - 1], (total - 1) * 0.5);
  assert.throws(() => decodeEpisodeRing(new Uint32Array(3)), /expected 8193/);
});

for (const name of ["catch", "cartpole", "pendulum"]) {
  gpuTest(
    `registry: makeGpuEnv(${name}) steps and reports episodes like the CPU form`,
    async (gpu) => {
      const env = await makeGpuEnv(gpu, name, 3, name === "catch" ? {} : { maxEpisodeSteps: 4 });
      const cpu = makeCpuEnv(name, 3, name === "catch" ? {} : { maxEpisodeSteps: 4 });
      assert.deepEqual(env.spec, cpu.spec);
      await env.reset(1);
      await runPlan(gpu, env.stepPlan(), 9); // zero actions: valid for every env
      cpu.reset(1);
      for (let t = 0; t < 9; t++) {
        cpu.step(name === "pendulum" ? new Float32Array(3) : new Int32Array(3));
      }
      const g = await env.episodeStats();
      const c = cpu.episodeStats();
      assert.equal(g.count, c.count);
      assert.ok(c.count > 0);
      assert.deepEqual([...g.returns].sort(), [...c.returns].sort());
    },
  );
}
