import assert from "node:assert/strict";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import {
  clipScale,
  learningRateAt,
  makeOptimizerState,
  type OptimizerConfig,
  optimizerStep,
} from "../../src/nn/optim.ts";
import { recordOptimizerStep } from "../../src/nn/optim_gpu.ts";
import { assertClose, gpuTest, randomArray } from "../util.ts";

Deno.test("rmsprop: two steps by hand in the paper's form (ε inside the square root)", () => {
  const config: OptimizerConfig = { kind: "rmsprop", lr: 0.1, alpha: 0.5, eps: 0.1 };
  const state = makeOptimizerState(config, 1);
  const params = new Float32Array([1]);
  optimizerStep(config, state, params, new Float32Array([2]));
  // g = 0.5·0 + 0.5·4 = 2; θ = 1 − 0.1·2/√2.1
  assertClose(state.first, [2], { atol: 0 });
  assertClose(params, [1 - 0.2 / Math.sqrt(2.1)], { atol: 1e-7 });
  optimizerStep(config, state, params, new Float32Array([-1]));
  // g = 0.5·2 + 0.5·1 = 1.5; θ += 0.1/√1.6
  assertClose(params, [1 - 0.2 / Math.sqrt(2.1) + 0.1 / Math.sqrt(1.6)], { atol: 1e-6 });
});

Deno.test("adam: first step moves each parameter by lr against the gradient's sign", () => {
  const config: OptimizerConfig = { kind: "adam", lr: 0.01 };
  const state = makeOptimizerState(config, 3);
  const params = new Float32Array([0, 0, 0]);
  optimizerStep(config, state, params, new Float32Array([3, -0.5, 0]));
  assertClose(params, [-0.01, 0.01, 0], { atol: 1e-7 });
});

Deno.test("clipping and annealing", () => {
  assert.equal(clipScale(10, 0), 1);
  assert.equal(clipScale(0.1, 0.5), 1);
  assertClose([clipScale(10, 0.5)], [0.5 / (10 + 1e-6)], { atol: 1e-12 });
  const c: OptimizerConfig = { kind: "rmsprop", lr: 1, totalSteps: 4 };
  assert.deepEqual([0, 1, 2, 4, 9].map((s) => learningRateAt(c, s)), [1, 0.75, 0.5, 0, 0]);
  const params = new Float32Array([0, 0]);
  const state = makeOptimizerState({ kind: "rmsprop", lr: 1, maxGradNorm: 1 }, 2);
  const { gradNorm } = optimizerStep(
    { kind: "rmsprop", lr: 1, maxGradNorm: 1 },
    state,
    params,
    new Float32Array([3, 4]),
  );
  assert.equal(gradNorm, 5);
  assertClose(state.first, [0.01 * 0.36, 0.01 * 0.64], { atol: 1e-7, name: "g of clipped grads" });
});

Deno.test("optimizer config: bad fields are named with their value and range", () => {
  assert.throws(() => makeOptimizerState({ kind: "rmsprop", lr: -1 }, 2), /optimizer.lr: got -1/);
  assert.throws(
    () => makeOptimizerState({ kind: "rmsprop", lr: 1, alpha: 1 }, 2),
    /optimizer.alpha: got 1, allowed \[0, 1\)/,
  );
  assert.throws(() => makeOptimizerState({ kind: "sgd" as "adam", lr: 1 }, 2), /optimizer.kind/);
});

for (const kind of ["rmsprop", "adam"] as const) {
  for (const n of [1000, 70001]) {
    gpuTest(
      `${kind}: WGSL step matches the twin over 3 steps (n ${n}, clip, anneal)`,
      async (gpu) => {
        const config: OptimizerConfig = {
          kind,
          lr: 0.01,
          eps: kind === "rmsprop" ? 0.1 : 1e-8,
          maxGradNorm: 2,
          totalSteps: 10,
        };
        const params = new Float32Array(randomArray(n, 1));
        const paramsB = createStorageBuffer(gpu, params);
        const gradsB = createStorageBuffer(gpu, n * 4);
        const opt = await recordOptimizerStep(gpu, config, {
          params: paramsB,
          grads: gradsB,
          size: n,
        });
        const state = makeOptimizerState(config, n);
        for (let s = 0; s < 3; s++) {
          const grads = new Float32Array(randomArray(n, 10 + s, -0.1, 0.1));
          gpu.device.queue.writeBuffer(gradsB, 0, grads);
          const { gradNorm, lr } = optimizerStep(config, state, params, grads);
          await runPlan(gpu, opt.dispatches);
          const stats = await readFloats(gpu, opt.stats);
          assertClose([stats[0]], [gradNorm], { rtol: 1e-5, name: "grad norm" });
          assertClose([stats[1]], [lr], { rtol: 1e-6, name: "lr" });
        }
        assert.equal(await opt.readStep(), 3, "the GPU step counter advanced once per step");
        assertClose(await readFloats(gpu, paramsB, 0, n), params, {
          atol: kind === "adam" ? 5e-6 : 1e-6, // Adam divides by √v̂: near-zero grads amplify rounding
          rtol: 1e-5,
          name: "params",
        });
      },
    );
  }
}
