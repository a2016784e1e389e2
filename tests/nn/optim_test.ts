import assert from "node:assert/strict";
import { createStorageBuffer, readFloats, writeBuffer } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import {
  checkOptimizerConfig,
  clipScale,
  gradientNorm,
  learningRateAt,
  makeOptimizerState,
  type OptimizerConfig,
  optimizerStateSpecs,
  optimizerStateTensors,
  optimizerStep,
  resolveOptimizerConfig,
  restoreOptimizerState,
} from "../../src/nn/optim.ts";
import {
  downloadOptimizerState,
  readOptimizerStats,
  recordOptimizerStep,
  uploadOptimizerState,
} from "../../src/nn/optim_gpu.ts";
import { initParams, makeLayout } from "../../src/nn/params.ts";
import { loadCheckpoint, saveCheckpoint } from "../../src/nn/safetensors.ts";
import { assertClose, gpuTest, randomArray } from "../util.ts";

const f32 = (...v: number[]) => new Float32Array(v);

Deno.test("rmsprop: three steps by hand, the paper's form and defaults (α 0.99, ε 0.1 inside √)", () => {
  const config: OptimizerConfig = { kind: "rmsprop", lr: 0.01 };
  assert.equal(resolveOptimizerConfig(config).alpha, 0.99);
  assert.equal(resolveOptimizerConfig(config).eps, 0.1);
  const state = makeOptimizerState(config, 2);
  const params = f32(1, -2);
  // Step 1, Δθ = [0.5, −3]: g = 0.01·Δθ² = [0.0025, 0.09]; θ −= 0.01·Δθ/√(g + 0.1).
  optimizerStep(config, state, params, f32(0.5, -3));
  assertClose(state.first, [0.0025, 0.09], { atol: 1e-9, rtol: 1e-6, name: "g1" });
  assertClose(params, [1 - 0.005 / Math.sqrt(0.1025), -2 + 0.03 / Math.sqrt(0.19)], {
    atol: 1e-7,
    rtol: 0,
    name: "θ1",
  });
  assertClose(params, [0.9843826238111394, -1.9311752798388315], { atol: 1e-7, rtol: 0 });
  // Step 2, Δθ = [1, 0]: g = [0.99·0.0025 + 0.01, 0.99·0.09] = [0.012475, 0.0891].
  optimizerStep(config, state, params, f32(1, 0));
  assertClose(state.first, [0.012475, 0.0891], { atol: 1e-9, rtol: 1e-6, name: "g2" });
  assertClose(params, [0.9545650708656244, -1.9311752798388315], { atol: 1e-7, rtol: 0 });
  // Step 3, Δθ = [−2, 4].
  const s = optimizerStep(config, state, params, f32(-2, 4));
  assertClose(state.first, [0.05235025, 0.248209], { atol: 1e-9, rtol: 1e-6, name: "g3" });
  assertClose(params, [1.0058049869767016, -1.9989612779780346], { atol: 1e-7, rtol: 0 });
  assert.deepEqual(s, { gradNorm: Math.sqrt(20), lr: 0.01, clipScale: 1, step: 2 });
  assert.equal(state.step, 3);
});

Deno.test("rmsprop: rmsInit starts g there (TensorFlow's 1): one step by hand", () => {
  const config: OptimizerConfig = { kind: "rmsprop", lr: 0.01, eps: 1e-5, rmsInit: 1 };
  const state = makeOptimizerState(config, 2);
  assert.deepEqual([...state.first], [1, 1]);
  const params = f32(1, -2);
  // g = 0.99·1 + 0.01·Δθ²; θ −= 0.01·Δθ/√(g + 1e-5): the first update is about lr·Δθ, not 10·lr.
  optimizerStep(config, state, params, f32(0.5, -3));
  assertClose(state.first, [0.9925, 1.08], { atol: 1e-7, rtol: 0, name: "g1" });
  assertClose(params, [1 - 0.005 / Math.sqrt(0.99251), -2 + 0.03 / Math.sqrt(1.08001)], {
    atol: 1e-7,
    rtol: 0,
  });
  // Shared statistics are used as they are: their owner sets the start.
  const shared = new Float32Array(2);
  assert.equal(makeOptimizerState(config, 2, { first: shared }).first[0], 0);
  assert.throws(() => checkOptimizerConfig({ kind: "rmsprop", lr: 1, rmsInit: -1 }), /rmsInit/);
});

Deno.test("adam: three steps by hand, bias-corrected, ε outside the square root", () => {
  const config: OptimizerConfig = { kind: "adam", lr: 0.1 };
  const r = resolveOptimizerConfig(config);
  assert.deepEqual([r.beta1, r.beta2, r.eps], [0.9, 0.999, 1e-8]);
  const state = makeOptimizerState(config, 1);
  const params = f32(0.5);
  // Step 1, g = 2: m = 0.2, v = 0.004; m̂ = 2, v̂ = 4: θ = 0.5 − 0.1·2/(2 + 1e-8) ≈ 0.4.
  optimizerStep(config, state, params, f32(2));
  assertClose(state.first, [0.2], { atol: 0, rtol: 1e-7 }); // f32 storage
  assertClose(state.second, [0.004], { atol: 0, rtol: 1e-7 });
  assertClose(params, [0.4000000005], { atol: 1e-7, rtol: 0, name: "θ1" });
  // Step 2, g = −1: m = 0.08, v = 0.004996; θ −= 0.1·(0.08/0.19)/(√(0.004996/0.001999) + ε).
  optimizerStep(config, state, params, f32(-1));
  assertClose(state.first, [0.08], { atol: 0, rtol: 1e-7 });
  assertClose(state.second, [0.004996], { atol: 0, rtol: 1e-7 });
  const theta2 = 0.4000000005 - 0.1 * (0.08 / 0.19) / (Math.sqrt(0.004996 / 0.001999) + 1e-8);
  assertClose(params, [theta2], { atol: 1e-7, rtol: 0, name: "θ2" });
  assertClose(params, [0.37336629670243154], { atol: 1e-7, rtol: 0 });
  // Step 3, g = 0.5.
  optimizerStep(config, state, params, f32(0.5));
  assertClose(params, [0.33932338213894264], { atol: 1e-7, rtol: 0, name: "θ3" });
  assertClose(state.first, [0.122], { atol: 0, rtol: 1e-7 });
  assertClose(state.second, [0.005241004], { atol: 0, rtol: 1e-7 });
});

Deno.test("clipping: global norm above the max scales every gradient; below it, nothing", () => {
  assert.equal(gradientNorm(f32(3, 4)), 5);
  assert.equal(clipScale(10, 0), 1, "0 turns clipping off");
  assert.equal(clipScale(0.1, 0.5), 1);
  assert.equal(clipScale(10, 0.5), 0.5 / (10 + 1e-6));
  // Above: norm 5, max 1; α = 0 makes g = d², so θ −= lr·d/√(d² + ε) with d = Δθ/5.
  const clipped: OptimizerConfig = { kind: "rmsprop", lr: 1, alpha: 0, eps: 0.1, maxGradNorm: 1 };
  const state = makeOptimizerState(clipped, 2);
  const params = f32(0, 0);
  const s = optimizerStep(clipped, state, params, f32(3, 4));
  assert.equal(s.gradNorm, 5, "the norm before clipping is returned");
  assert.equal(s.clipScale, 1 / (5 + 1e-6));
  const d = [3 * s.clipScale, 4 * s.clipScale];
  assertClose(state.first, [d[0] ** 2, d[1] ** 2], { atol: 1e-7, rtol: 1e-6, name: "g" });
  assertClose(params, d.map((x) => -x / Math.sqrt(x * x + 0.1)), { atol: 1e-7, rtol: 0 });
  // Below: norm 0.5 < 1 gives exactly the unclipped step.
  const a = f32(0, 0);
  const b = f32(0, 0);
  const sa = optimizerStep(clipped, makeOptimizerState(clipped, 2), a, f32(0.3, 0.4));
  optimizerStep({ ...clipped, maxGradNorm: 0 }, makeOptimizerState(clipped, 2), b, f32(0.3, 0.4));
  assert.equal(sa.clipScale, 1);
  assert.deepEqual(a, b);
});

Deno.test("annealing: lr·max(0, 1 − step/totalSteps) per step; 0 keeps it constant", () => {
  const c: OptimizerConfig = { kind: "rmsprop", lr: 1, totalSteps: 4 };
  assert.deepEqual([0, 1, 2, 3, 4, 9].map((s) => learningRateAt(c, s)), [1, 0.75, 0.5, 0.25, 0, 0]);
  assert.equal(learningRateAt({ kind: "adam", lr: 0.3 }, 1e6), 0.3);
  assert.equal(learningRateAt({ kind: "adam", lr: 0.3, totalSteps: 0 }, 1e6), 0.3);
  const state = makeOptimizerState(c, 1);
  const params = f32(1);
  const lrs: number[] = [];
  let frozen = 0;
  for (let i = 0; i < 6; i++) {
    const before = params[0];
    const s = optimizerStep(c, state, params, f32(1));
    lrs.push(s.lr);
    assert.equal(s.step, i);
    if (s.lr === 0) {
      assert.equal(params[0], before, "η = 0: parameters stay");
      frozen++;
    }
  }
  assert.deepEqual(lrs, [1, 0.75, 0.5, 0.25, 0, 0]);
  assert.equal(frozen, 2);
  assert.equal(state.step, 6);
});

Deno.test("the twin runs on SharedArrayBuffer memory exactly as on ordinary arrays", () => {
  for (const kind of ["rmsprop", "adam"] as const) {
    const config: OptimizerConfig = { kind, lr: 0.01, maxGradNorm: 1 };
    const n = 300;
    const shared = (a: ArrayLike<number>) => {
      const s = new Float32Array(new SharedArrayBuffer(a.length * 4));
      s.set(a);
      return s;
    };
    const pPlain = new Float32Array(randomArray(n, 1));
    const pShared = shared(pPlain);
    const sPlain = makeOptimizerState(config, n);
    const sShared = makeOptimizerState(config, n, {
      first: shared(new Float32Array(n)),
      second: shared(new Float32Array(n)),
    });
    for (let k = 0; k < 3; k++) {
      const grads = new Float32Array(randomArray(n, 5 + k));
      optimizerStep(config, sPlain, pPlain, grads);
      optimizerStep(config, sShared, pShared, shared(grads));
    }
    assert.deepEqual(Array.from(pShared), Array.from(pPlain), kind);
    assert.deepEqual(Array.from(sShared.first), Array.from(sPlain.first), kind);
    assert.ok(sShared.first.buffer instanceof SharedArrayBuffer);
  }
});

Deno.test("optimizer config: every field is checked, naming it with its value and range", () => {
  const base: OptimizerConfig = { kind: "rmsprop", lr: 0.1 };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ kind: "sgd" }, /optimizer\.kind: got "sgd", allowed rmsprop, adam/],
    [{ lr: -1 }, /optimizer\.lr: got -1, allowed a finite number > 0/],
    [{ lr: 0 }, /optimizer\.lr: got 0/],
    [{ lr: Number.NaN }, /optimizer\.lr: got NaN/],
    [{ lr: Infinity }, /optimizer\.lr: got Infinity/],
    [{ alpha: 1 }, /optimizer\.alpha: got 1, allowed \[0, 1\)/],
    [{ alpha: -0.1 }, /optimizer\.alpha: got -0\.1/],
    [{ eps: 0 }, /optimizer\.eps: got 0, allowed a finite number > 0/],
    [{ beta1: 1 }, /optimizer\.beta1: got 1, allowed \[0, 1\)/],
    [{ beta2: 2 }, /optimizer\.beta2: got 2, allowed \[0, 1\)/],
    [{ maxGradNorm: -1 }, /optimizer\.maxGradNorm: got -1, allowed a finite number >= 0/],
    [
      { totalSteps: 1.5 },
      /optimizer\.totalSteps: got 1\.5, allowed an integer in \[0, 4294967295\]/,
    ],
    [{ totalSteps: 2 ** 32 }, /optimizer\.totalSteps: got 4294967296/],
    [{ maxGradnorm: 1 }, /optimizer\.maxGradnorm: got an unknown field, allowed fields: kind, lr/],
  ];
  for (const [patch, error] of cases) {
    const config = { ...base, ...patch } as OptimizerConfig;
    assert.throws(() => checkOptimizerConfig(config), error);
    assert.throws(() => makeOptimizerState(config, 4), error);
    assert.throws(() => optimizerStep(config, makeOptimizerState(base, 1), f32(0), f32(0)), error);
  }
  assert.throws(() => makeOptimizerState(base, 0), /size must be a positive integer, got 0/);
  assert.throws(
    () => makeOptimizerState({ kind: "adam", lr: 1 }, 4, { first: new Float32Array(3) }),
    /optimizer: shared state has 3 and 4 floats, expected 4/,
  );
  assert.throws(
    () => optimizerStep(base, makeOptimizerState(base, 3), f32(1, 2, 3), f32(1, 2)),
    /optimizer: params 3, grads 2 and state 3 floats must match/,
  );
});

Deno.test("optimizer state: saved with the parameters and restored to continue exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "optim_test" });
  try {
    const layout = makeLayout([
      { name: "fc.weight", shape: [5, 3], fanIn: 3 },
      { name: "fc.bias", shape: [5], fanIn: 3 },
    ]);
    const config: OptimizerConfig = { kind: "adam", lr: 0.01, totalSteps: 10 };
    const params = initParams(layout, 3);
    const state = makeOptimizerState(config, layout.size);
    const grads = (k: number) => {
      const g = new Float32Array(randomArray(layout.size, 40 + k));
      for (const t of layout.tensors) g.fill(0, t.offset + t.length, t.offset + 64); // padding
      return g;
    };
    for (let k = 0; k < 2; k++) optimizerStep(config, state, params, grads(k));
    const saved = optimizerStateTensors(config, state, layout);
    assert.deepEqual(
      saved.tensors.map((t) => t.name),
      [
        "optim.exp_avg.fc.weight",
        "optim.exp_avg.fc.bias",
        "optim.exp_avg_sq.fc.weight",
        "optim.exp_avg_sq.fc.bias",
      ],
    );
    const path = `${dir}/ckpt.safetensors`;
    await saveCheckpoint(path, layout, params, { run: "x", ...saved.metadata }, saved.tensors);
    // The uninterrupted run goes on.
    optimizerStep(config, state, params, grads(2));
    // The restored run.
    const ckpt = await loadCheckpoint(path, layout, {
      requireExtra: optimizerStateSpecs(config, layout),
    });
    assert.equal(ckpt.metadata["optim.step"], "2");
    const restored = restoreOptimizerState(config, layout, ckpt);
    assert.equal(restored.step, 2);
    optimizerStep(config, restored, ckpt.params, grads(2));
    assert.deepEqual(Array.from(ckpt.params), Array.from(params));
    assert.deepEqual(Array.from(restored.second), Array.from(state.second));
    assert.throws(
      () => restoreOptimizerState({ kind: "rmsprop", lr: 0.01 }, layout, ckpt),
      /optimizer state: the checkpoint holds "adam", the config asks for "rmsprop"/,
    );
    assert.throws(
      () =>
        restoreOptimizerState(config, layout, {
          ...ckpt,
          extra: ckpt.extra.filter((t) => t.name !== "optim.exp_avg.fc.weight"),
        }),
      /missing tensor "optim.exp_avg.fc.weight"/,
    );
    assert.throws(
      () => restoreOptimizerState(config, layout, { extra: ckpt.extra, metadata: {} }),
      /the checkpoint holds no optimizer state/,
    );
    assert.throws(
      () =>
        restoreOptimizerState(config, layout, {
          extra: ckpt.extra,
          metadata: { ...ckpt.metadata, "optim.step": "-1" },
        }),
      /metadata "optim.step" is "-1", expected an integer >= 0/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// GPU vs twin

/** Gradients scaled to a given global norm (so a test controls whether clipping acts). */
function gradsWithNorm(n: number, seed: number, norm: number): Float32Array {
  const g = new Float32Array(randomArray(n, seed));
  const scale = norm / gradientNorm(g);
  for (let i = 0; i < n; i++) g[i] *= scale;
  return g;
}

for (const kind of ["rmsprop", "adam"] as const) {
  for (const n of [1000, 70001]) {
    gpuTest(
      `${kind}: WGSL step matches the twin over 3 steps (n ${n}, clip on/off, anneal)`,
      async (gpu) => {
        // RMSProp's g starts at 1 (TensorFlow's) for the larger n, at 0 for the smaller.
        const rmsInit = kind === "rmsprop" && n > 1000 ? 1 : undefined;
        const config: OptimizerConfig = {
          kind,
          lr: 0.01,
          maxGradNorm: 2,
          totalSteps: 10,
          ...(rmsInit ? { rmsInit } : {}),
        };
        const params = new Float32Array(randomArray(n, 1));
        const paramsB = createStorageBuffer(gpu, params, "params");
        const gradsB = createStorageBuffer(gpu, n * 4, "grads");
        const opt = await recordOptimizerStep(gpu, config, {
          params: paramsB,
          grads: gradsB,
          size: n,
        });
        assert.equal(opt.dispatches.length, 4);
        const state = makeOptimizerState(config, n);
        const norms = [3, 1, 10]; // clipped, not clipped, clipped
        for (let s = 0; s < 3; s++) {
          const grads = gradsWithNorm(n, 10 + s, norms[s]);
          writeBuffer(gpu, gradsB, grads);
          const twin = optimizerStep(config, state, params, grads);
          assert.equal(twin.clipScale < 1, norms[s] > 2, `step ${s} clipping`);
          await runPlan(gpu, opt.dispatches);
          const stats = await readOptimizerStats(gpu, opt);
          assertClose([stats.gradNorm], [twin.gradNorm], {
            atol: 0,
            rtol: 1e-5,
            name: "grad norm",
          });
          assertClose([stats.lr], [twin.lr], { atol: 0, rtol: 1e-6, name: "lr" });
          assertClose([stats.clipScale], [twin.clipScale], { atol: 0, rtol: 1e-5, name: "clip" });
          assert.equal(stats.step, s);
        }
        assert.equal(await opt.readStep(), 3, "the GPU step counter advanced once per step");
        // f32 on both sides; Adam's m̂/√v̂ is ±1-sized per element whatever the gradient, so its
        // rounding differences show at lr·1e-4 at worst.
        assertClose(await readFloats(gpu, paramsB, 0, n), params, {
          atol: kind === "adam" ? 2e-6 : 5e-7,
          rtol: 1e-6,
          name: "params",
        });
        const gpuState = await downloadOptimizerState(gpu, opt);
        assertClose(gpuState.first, state.first, { atol: 1e-9, rtol: 1e-4, name: "first" });
        assertClose(gpuState.second, state.second, { atol: 1e-12, rtol: 1e-4, name: "second" });
        assert.equal(gpuState.step, 3);
      },
    );
  }
}

gpuTest(
  "the step counter advances on the GPU alone: 5 steps replayed in one submit",
  async (gpu) => {
    const n = 777;
    const config: OptimizerConfig = { kind: "adam", lr: 0.02, maxGradNorm: 1, totalSteps: 8 };
    const params = new Float32Array(randomArray(n, 2));
    const grads = gradsWithNorm(n, 3, 1.5);
    const paramsB = createStorageBuffer(gpu, params);
    const gradsB = createStorageBuffer(gpu, grads);
    const opt = await recordOptimizerStep(gpu, config, { params: paramsB, grads: gradsB, size: n });
    const state = makeOptimizerState(config, n);
    let last = optimizerStep(config, state, params, grads);
    for (let s = 1; s < 5; s++) last = optimizerStep(config, state, params, grads);
    await runPlan(gpu, opt.dispatches, 5); // no CPU write between the five steps
    assert.equal(await opt.readStep(), 5);
    const stats = await readOptimizerStats(gpu, opt);
    assert.equal(stats.step, 4);
    assertClose([stats.lr], [0.02 * (1 - 4 / 8)], { atol: 0, rtol: 1e-6, name: "annealed lr" });
    assertClose([stats.lr], [last.lr], { atol: 0, rtol: 1e-6 });
    assertClose(await readFloats(gpu, paramsB, 0, n), params, { atol: 2e-6, rtol: 1e-6 });
  },
);

gpuTest(
  "optimizer state uploads and downloads: a restored GPU run continues as the twin",
  async (gpu) => {
    const n = 1031;
    for (const kind of ["rmsprop", "adam"] as const) {
      const config: OptimizerConfig = { kind, lr: 0.05, totalSteps: 20 };
      // The twin trains 7 steps; its state (step 7) goes to a freshly recorded GPU optimizer.
      const params = new Float32Array(randomArray(n, 4));
      const state = makeOptimizerState(config, n);
      for (let s = 0; s < 7; s++) {
        optimizerStep(config, state, params, new Float32Array(randomArray(n, 50 + s)));
      }
      const paramsB = createStorageBuffer(gpu, params);
      const grads = new Float32Array(randomArray(n, 99));
      const gradsB = createStorageBuffer(gpu, grads);
      const opt = await recordOptimizerStep(gpu, config, {
        params: paramsB,
        grads: gradsB,
        size: n,
      });
      uploadOptimizerState(gpu, opt, state);
      optimizerStep(config, state, params, grads);
      await runPlan(gpu, opt.dispatches);
      const stats = await readOptimizerStats(gpu, opt);
      assert.equal(stats.step, 7, `${kind}: the uploaded step drives the schedule`);
      assertClose([stats.lr], [0.05 * (1 - 7 / 20)], { atol: 0, rtol: 1e-6 });
      assertClose(await readFloats(gpu, paramsB, 0, n), params, {
        atol: 2e-6,
        rtol: 1e-6,
        name: kind,
      });
      const back = await downloadOptimizerState(gpu, opt);
      assert.equal(back.step, 8);
      // m = β1·m + (1 − β1)·d cancels where m is small: the f32 rounding of β1 (2e-8 relative)
      // times terms of ~0.5 shows as ~1e-8 absolute.
      assertClose(back.first, state.first, { atol: 5e-8, rtol: 1e-5, name: `${kind} first` });
      assert.throws(
        () => uploadOptimizerState(gpu, opt, makeOptimizerState(config, 5)),
        /optim: state has 5/,
      );
    }
  },
);

gpuTest("recordOptimizerStep validates config and buffer sizes", async (gpu) => {
  const params = createStorageBuffer(gpu, 40);
  const grads = createStorageBuffer(gpu, 40);
  await assert.rejects(
    () => recordOptimizerStep(gpu, { kind: "adam", lr: 1, beta2: 1 }, { params, grads, size: 10 }),
    /optimizer\.beta2: got 1, allowed \[0, 1\)/,
  );
  await assert.rejects(
    () => recordOptimizerStep(gpu, { kind: "adam", lr: 1 }, { params, grads, size: 11 }),
    /optim: params holds 10 floats, expected at least size = 11/,
  );
  await assert.rejects(
    () => recordOptimizerStep(gpu, { kind: "adam", lr: 1 }, { params, grads, size: 0 }),
    /optim: size must be a positive integer, got 0/,
  );
});
