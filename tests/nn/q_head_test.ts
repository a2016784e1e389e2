import assert from "node:assert/strict";
import { LOSS_STATS, LossStat } from "../../src/nn/actor_critic.ts";
import { epsilonGreedy, qLoss, type QLossArgs, type QLossOptions } from "../../src/nn/q_head.ts";
import { recordEpsilonGreedy, recordQLoss } from "../../src/nn/q_head_gpu.ts";
import { greedyActions } from "../../src/nn/sample.ts";
import { createCounterBuffer, recordCounterAdvance } from "../../src/nn/sample_gpu.ts";
import { createStorageBuffer, readBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { makeRng } from "../../src/util/rng.ts";
import { assertClose, gpuTest, numericGradient, randomArray } from "../util.ts";

function batch(B: number, A: number, seed: number) {
  const rng = makeRng(seed, 9);
  const actions = new Int32Array(B);
  for (let b = 0; b < B; b++) actions[b] = rng.int(A);
  return {
    q: randomArray(B * A, seed + 1, -3, 3),
    actions,
    targets: randomArray(B, seed + 2, -3, 3),
  };
}

function runTwin(
  x: Pick<QLossArgs, "q" | "actions" | "targets">,
  B: number,
  A: number,
  opts?: QLossOptions,
) {
  const dq = new Float64Array(B * A);
  const stats = new Float64Array(LOSS_STATS);
  qLoss({ ...x, dq, stats, B, A }, opts);
  return { dq, stats };
}

for (const opts of [{}, { scale: 1 }]) {
  Deno.test(`q head: gradient matches finite differences ${JSON.stringify(opts)} (float64)`, () => {
    const B = 8, A = 5;
    const x = batch(B, A, 1);
    const numeric = numericGradient(() => runTwin(x, B, A, opts).stats[LossStat.loss], x.q);
    const { dq, stats } = runTwin(x, B, A, opts);
    assertClose(dq, numeric, { atol: 1e-8, rtol: 1e-6, name: "dq" });
    for (let i = 0; i < B * A; i++) {
      if (i % A !== x.actions[Math.floor(i / A)]) assert.equal(dq[i], 0, `dq[${i}]`);
    }
    // ½·scale·Σ δ² by hand.
    const scale = opts.scale ?? 1 / B;
    let loss = 0;
    for (let b = 0; b < B; b++) loss += 0.5 * (x.targets[b] - x.q[b * A + x.actions[b]]) ** 2;
    assertClose([stats[LossStat.loss], stats[LossStat.valueLoss]], [scale * loss, scale * loss], {
      atol: 1e-12,
    });
  });
}

Deno.test("q head: validation errors name the kernel, argument and shapes", () => {
  const B = 3, A = 4;
  const x = batch(B, A, 2);
  const out = { dq: new Float64Array(B * A), stats: new Float64Array(LOSS_STATS) };
  assert.throws(
    () => qLoss({ ...x, ...out, targets: new Float64Array(4), B, A }),
    { name: "RangeError", message: /q_head\.loss: targets has 4 elements, expected shape \[3\]/ },
  );
  assert.throws(
    () => qLoss({ ...x, ...out, actions: new Int32Array([0, 1, 9]), B, A }),
    /q_head\.loss: actions\[2\] = 9 is outside \[0, 4\)/,
  );
  assert.throws(
    () =>
      epsilonGreedy({
        q: x.q,
        epsilon: new Float32Array(2),
        actions: new Int32Array(B),
        B,
        A,
        seed: 0,
        counter: 0,
      }),
    /q_head\.epsilon_greedy: epsilon has 2 elements, expected shape \[3\]/,
  );
});

Deno.test("ε-greedy (twin): random actions at rate ε, greedy otherwise", () => {
  const B = 8000, A = 4;
  const EPS = [0, 0.1, 0.5, 1];
  const q = new Float32Array(randomArray(B * A, 3, -1, 1));
  const epsilon = new Float32Array(B).map((_, b) => EPS[b % EPS.length]);
  const actions = new Int32Array(B);
  epsilonGreedy({ q, epsilon, actions, B, A, seed: 42, counter: 7 });
  const greedy = new Int32Array(B);
  greedyActions({ logits: q, actions: greedy, B, A });
  EPS.forEach((eps, k) => {
    let n = 0, nonGreedy = 0;
    const counts = new Array(A).fill(0);
    for (let b = k; b < B; b += EPS.length) {
      n++;
      if (actions[b] !== greedy[b]) nonGreedy++;
      counts[actions[b]]++;
    }
    // A random action differs from the greedy one with probability (A − 1)/A.
    const p = eps * (A - 1) / A;
    const tol = 4.5 * Math.sqrt(p * (1 - p) / n) + 1e-9;
    assert.ok(
      Math.abs(nonGreedy / n - p) <= tol,
      `ε = ${eps}: non-greedy rate ${nonGreedy / n}, expected ${p} ± ${tol}`,
    );
    if (eps === 1) {
      for (const c of counts) assert.ok(Math.abs(c / n - 1 / A) < 4.5 * Math.sqrt(3 / 16 / n));
    }
  });
});

gpuTest("q head: recorder validation names kernel, argument and shape", async (gpu) => {
  const ok = createStorageBuffer(gpu, 4096);
  await assert.rejects(
    recordQLoss(
      gpu,
      {
        q: createStorageBuffer(gpu, 20 * 4),
        actions: ok,
        targets: ok,
        dq: ok,
        stats: ok,
      },
      7,
      3,
    ),
    {
      name: "RangeError",
      message: /q_head\.loss: q holds 20 floats, expected shape \[7, 3\]/,
    },
  );
  await assert.rejects(
    recordEpsilonGreedy(gpu, { q: ok, epsilon: ok, counter: ok, actions: ok }, {
      B: 4,
      A: 2,
      seed: -1,
    }),
    /q_head\.epsilon_greedy: seed must be an integer/,
  );
});

for (const [B, A] of [[67, 6], [300, 18]]) {
  gpuTest(`q head: WGSL loss matches the twin (B=${B}, A=${A})`, async (gpu) => {
    const x = batch(B, A, 20 + A);
    const f32 = {
      q: new Float32Array(x.q),
      actions: x.actions,
      targets: new Float32Array(x.targets),
    };
    const want = runTwin(f32, B, A);
    const bufs = {
      q: createStorageBuffer(gpu, f32.q),
      actions: createStorageBuffer(gpu, x.actions),
      targets: createStorageBuffer(gpu, f32.targets),
      dq: createStorageBuffer(gpu, new Float32Array(B * A).fill(9)),
      stats: createStorageBuffer(gpu, LOSS_STATS * 4),
    };
    await runPlan(gpu, await recordQLoss(gpu, bufs, B, A));
    assertClose(await readFloats(gpu, bufs.dq), want.dq, { atol: 1e-7, rtol: 1e-6, name: "dq" });
    assertClose(await readFloats(gpu, bufs.stats), want.stats, {
      atol: 1e-5,
      rtol: 1e-4,
      name: "stats",
    });
  });
}

gpuTest("q head: WGSL counts bad rows (infinite target, out-of-range action)", async (gpu) => {
  const B = 70, A = 3;
  const x = batch(B, A, 5);
  const targets = new Float32Array(x.targets);
  targets[66] = Infinity;
  const actions = x.actions.slice();
  actions[3] = 5;
  const stats = createStorageBuffer(gpu, LOSS_STATS * 4);
  await runPlan(
    gpu,
    await recordQLoss(
      gpu,
      {
        q: createStorageBuffer(gpu, new Float32Array(x.q)),
        actions: createStorageBuffer(gpu, actions),
        targets: createStorageBuffer(gpu, targets),
        dq: createStorageBuffer(gpu, B * A * 4),
        stats,
      },
      B,
      A,
    ),
  );
  assert.equal((await readFloats(gpu, stats))[LossStat.badRows], 2);
});

gpuTest("ε-greedy: WGSL matches the twin exactly; the counter advances on the GPU", async (gpu) => {
  const B = 300, A = 5, seed = 99, streamOffset = 1000;
  const q = new Float32Array(randomArray(B * A, 6, -1, 1));
  const epsilon = new Float32Array(randomArray(B, 7, 0, 1));
  const counter = createCounterBuffer(gpu, 40);
  const actionsBuf = createStorageBuffer(gpu, B * 4);
  const plan = [
    await recordEpsilonGreedy(gpu, {
      q: createStorageBuffer(gpu, q),
      epsilon: createStorageBuffer(gpu, epsilon),
      counter,
      actions: actionsBuf,
    }, { B, A, seed, streamOffset }),
    await recordCounterAdvance(gpu, counter, 3),
  ];
  await runPlan(gpu, plan, 2); // counters 40 then 43
  const want = new Int32Array(B);
  epsilonGreedy({ q, epsilon, actions: want, B, A, seed, counter: 43, streamOffset });
  assert.deepEqual(Array.from(new Int32Array(await readBuffer(gpu, actionsBuf))), Array.from(want));
});
