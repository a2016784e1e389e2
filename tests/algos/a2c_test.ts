import assert from "node:assert/strict";
import { resolveA2cConfig } from "../../src/algos/a2c/config.ts";
import { trainA2c } from "../../src/algos/a2c/train.ts";
import { testGpu } from "../util.ts";

Deno.test("a2c config: out-of-range fields are refused before any work, naming each", () => {
  assert.throws(
    () => resolveA2cConfig({ gamma: 1.5, gaeLambda: -1, numEnvs: 0, rolloutSteps: 2.5 }),
    (err: Error) => {
      assert.match(err.message, /gamma: got 1.5, allowed \(0, 1\]/);
      assert.match(err.message, /gaeLambda: got -1, allowed \[0, 1\]/);
      assert.match(err.message, /numEnvs: got 0, allowed an integer in \[1, /);
      assert.match(err.message, /rolloutSteps: got 2.5, allowed an integer in \[1, 4096\]/);
      return true;
    },
  );
  assert.throws(
    () => resolveA2cConfig({ gama: 0.9 } as never),
    /gama: unknown field; allowed: env, envOptions/,
  );
  assert.throws(() => resolveA2cConfig({ env: "catch", net: "ff" }), /net: ff needs \[frames/);
});

// Catch: random play scores about −0.6 (the paddle catches ≈ 1 ball in 5). A2C should catch
// nearly every ball within 40k env steps.
const CATCH_BUDGET = 40_000;
const CATCH_TARGET = 0.8;

Deno.test(`a2c (cpu) solves Catch: mean return of last 100 ≥ ${CATCH_TARGET} within ${CATCH_BUDGET} steps`, async () => {
  const result = await trainA2c(
    { env: "catch", backend: "cpu", totalSteps: CATCH_BUDGET, seed: 3 },
    {},
    CATCH_TARGET,
  );
  assert.ok(
    result.last.returnMean100 >= CATCH_TARGET,
    `mean return ${result.last.returnMean100} after ${result.last.steps} steps`,
  );
});

Deno.test({
  name:
    `[webgpu] a2c (gpu) solves Catch: mean return of last 100 ≥ ${CATCH_TARGET} within ${CATCH_BUDGET} steps`,
  ignore: testGpu === null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const result = await trainA2c(
      { env: "catch", backend: "webgpu", totalSteps: CATCH_BUDGET, seed: 3 },
      {},
      CATCH_TARGET,
    );
    assert.equal(result.backend.backend, "webgpu");
    assert.ok(
      result.last.returnMean100 >= CATCH_TARGET,
      `mean return ${result.last.returnMean100} after ${result.last.steps} steps`,
    );
    result.runner.dispose();
  },
});

// CartPole: random play lasts about 22 steps. The stated bar: mean of the last 100 episodes
// ≥ 150 within 150k env steps on the CPU backend.
Deno.test("a2c (cpu) learns CartPole: mean return of last 100 ≥ 150 within 150k steps", async () => {
  const result = await trainA2c(
    { env: "cartpole", backend: "cpu", totalSteps: 150_000, seed: 1 },
    {},
    150,
  );
  assert.ok(
    result.last.returnMean100 >= 150,
    `mean return ${result.last.returnMean100} after ${result.last.steps} steps`,
  );
});
