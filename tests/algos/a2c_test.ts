import assert from "node:assert/strict";
import { resolveA2cConfig } from "../../src/algos/a2c/config.ts";
import { trainA2c } from "../../src/algos/a2c/train.ts";
import { netForEnv } from "../../src/algos/a2c/common.ts";
import { envSpec } from "../../src/envs/registry.ts";
import { makeA2cCpu } from "../../src/algos/a2c/cpu.ts";
import { makeA2cGpu } from "../../src/algos/a2c/gpu.ts";
import { assertClose, gpuTest } from "../util.ts";

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
  // A net that does not fit the env's observation is refused when the runner is built.
  assert.throws(
    () => netForEnv(envSpec("catch"), { net: "ff", hidden: [64] }),
    /net layer 0 \(conv2d\): kernel 8 stride 4 padding 1 does not fit the input \[1, 10, 5\]/,
  );
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

gpuTest(
  `a2c (webgpu) solves Catch: mean return of last 100 ≥ ${CATCH_TARGET} within ${CATCH_BUDGET} steps`,
  async () => {
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
);

// The CPU form keeps its acting passes as the training forward; the GPU runs that forward
// again: the same updates.
gpuTest(
  "a2c: three iterations on the GPU match the CPU form (same rollouts, same updates)",
  async (gpu) => {
    const config = resolveA2cConfig({ env: "catch", backend: "webgpu", seed: 9, numEnvs: 7 });
    const cpu = makeA2cCpu(config);
    const onGpu = await makeA2cGpu(config, gpu);
    assert.deepEqual(await onGpu.getParams(), await cpu.getParams());
    for (let i = 0; i < 3; i++) {
      cpu.iterate();
      onGpu.iterate();
    }
    const [a, b] = [await cpu.report(), await onGpu.report()];
    assert.equal(b.episodes, a.episodes);
    assertClose(b.newReturns, a.newReturns, { atol: 0, name: "episode returns" });
    assertClose([b.policyLoss, b.valueLoss, b.entropy, b.gradNorm], [
      a.policyLoss,
      a.valueLoss,
      a.entropy,
      a.gradNorm,
    ], { atol: 1e-4, rtol: 1e-3, name: "loss terms" });
    assertClose(await onGpu.getParams(), await cpu.getParams(), {
      atol: 1e-5,
      rtol: 1e-4,
      name: "parameters after 3 updates",
    });
    onGpu.dispose();
  },
);

gpuTest(
  "a2c: the conv + LSTM net on the GPU matches the CPU form over 6 iterations",
  async (gpu) => {
    // Catch's 10×5 grid fits the four stride-2 convs of the A3C LSTM net (down to 1×1).
    const config = resolveA2cConfig({ env: "catch", net: "lstm", seed: 9, numEnvs: 7 });
    const cpu = makeA2cCpu(config);
    const onGpu = await makeA2cGpu(config, gpu);
    for (let i = 0; i < 6; i++) {
      cpu.iterate();
      onGpu.iterate();
    }
    const [a, b] = [await cpu.report(), await onGpu.report()];
    assert.ok(a.episodes > 0);
    assert.equal(b.episodes, a.episodes);
    assertClose([b.gradNorm, b.entropy], [a.gradNorm, a.entropy], { atol: 1e-5, rtol: 1e-4 });
    assertClose(await onGpu.getParams(), await cpu.getParams(), {
      atol: 1e-6,
      rtol: 1e-4,
      name: "parameters after 6 updates",
    });
    onGpu.dispose();
  },
);
