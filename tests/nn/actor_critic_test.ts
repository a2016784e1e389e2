import assert from "node:assert/strict";
import {
  type ActorCriticArgs,
  actorCriticEvaluate,
  actorCriticLoss,
  type ActorCriticOptions,
  LOSS_STATS,
  LossStat,
} from "../../src/nn/actor_critic.ts";
import { recordActorCriticEvaluate, recordActorCriticLoss } from "../../src/nn/actor_critic_gpu.ts";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { makeRng } from "../../src/util/rng.ts";
import { assertClose, gpuTest, numericGradient, randomArray } from "../util.ts";

/** A random batch: logits [B, A] in ±scale, values/returns in ±2, advantages in ±1. */
function batch(B: number, A: number, seed: number, logitScale = 3) {
  const rng = makeRng(seed, 5);
  const actions = new Int32Array(B);
  for (let b = 0; b < B; b++) actions[b] = rng.int(A);
  return {
    logits: randomArray(B * A, seed + 1, -logitScale, logitScale),
    values: randomArray(B, seed + 2, -2, 2),
    actions,
    advantages: randomArray(B, seed + 3),
    returns: randomArray(B, seed + 4, -2, 2),
  };
}

type Inputs = Pick<ActorCriticArgs, "logits" | "values" | "actions" | "advantages" | "returns">;

function runTwin(x: Inputs, B: number, A: number, opts?: ActorCriticOptions) {
  const dLogits = new Float64Array(B * A);
  const dValues = new Float64Array(B);
  const stats = new Float64Array(LOSS_STATS);
  actorCriticLoss({ ...x, dLogits, dValues, stats, B, A }, opts);
  return { dLogits, dValues, stats };
}

const OPTION_CASES: [string, ActorCriticOptions][] = [
  ["defaults (scale 1/B)", {}],
  ["valueCoef 0.7, entropyCoef 0.05, scale 1 (A3C sum)", {
    valueCoef: 0.7,
    entropyCoef: 0.05,
    scale: 1,
  }],
];

for (const [label, opts] of OPTION_CASES) {
  Deno.test(`actor-critic: gradients match finite differences, ${label} (float64)`, () => {
    const B = 7, A = 5;
    const x = batch(B, A, 11);
    const loss = () => runTwin(x, B, A, opts).stats[LossStat.loss];
    const numLogits = numericGradient(loss, x.logits);
    const numValues = numericGradient(loss, x.values);
    const { dLogits, dValues } = runTwin(x, B, A, opts);
    assertClose(dLogits, numLogits, { atol: 1e-8, rtol: 1e-6, name: "dLogits" });
    assertClose(dValues, numValues, { atol: 1e-8, rtol: 1e-6, name: "dValues" });
  });
}

Deno.test("actor-critic: loss statistics are consistent with each other and with evaluate", () => {
  const B = 9, A = 4;
  const x = batch(B, A, 21);
  const opts = { valueCoef: 0.3, entropyCoef: 0.2, scale: 0.5 };
  const { stats } = runTwin(x, B, A, opts);
  const combined = stats[LossStat.policyLoss] + 0.3 * stats[LossStat.valueLoss] -
    0.2 * stats[LossStat.entropy];
  assertClose([stats[LossStat.loss]], [combined], { atol: 1e-12, name: "total" });
  assert.equal(stats[LossStat.badRows], 0);
  // Direct (naive) softmax in float64 as an independent reference.
  const logProb = new Float64Array(B);
  const entropy = new Float64Array(B);
  actorCriticEvaluate({ logits: x.logits, actions: x.actions, logProb, entropy, B, A });
  let policy = 0, value = 0, ent = 0;
  for (let b = 0; b < B; b++) {
    const row = Array.from(x.logits.subarray(b * A, b * A + A));
    const sum = row.reduce((s, z) => s + Math.exp(z), 0);
    const p = row.map((z) => Math.exp(z) / sum);
    const h = -p.reduce((s, pj) => s + pj * Math.log(pj), 0);
    assertClose([logProb[b]], [Math.log(p[x.actions[b]])], { atol: 1e-12, name: "logProb" });
    assertClose([entropy[b]], [h], { atol: 1e-12, name: "entropy" });
    policy += -x.advantages[b] * Math.log(p[x.actions[b]]);
    value += 0.5 * (x.returns[b] - x.values[b]) ** 2;
    ent += h;
  }
  assertClose(
    Array.from(stats.subarray(0, 3)),
    [0.5 * policy, 0.5 * value, 0.5 * ent],
    { atol: 1e-12, name: "stats" },
  );
});

Deno.test("actor-critic: log-softmax is stable for logits of ±1000", () => {
  const B = 2, A = 4;
  const logits = new Float64Array([1000, -1000, 1000, 0, -1000, -1000, -1000, -999]);
  const actions = new Int32Array([1, 3]);
  const x = {
    logits,
    actions,
    values: new Float64Array([0.5, 0]),
    advantages: new Float64Array([1, -1]),
    returns: new Float64Array([1, 0]),
  };
  const { dLogits, dValues, stats } = runTwin(x, B, A, { scale: 1 });
  for (const v of [...dLogits, ...dValues, ...stats]) assert.ok(Number.isFinite(v), `${v}`);
  const logProb = new Float64Array(B);
  const entropy = new Float64Array(B);
  actorCriticEvaluate({ logits, actions, logProb, entropy, B, A });
  // Row 0: two logits of 1000 share the mass; action 1 has log p = −2000 − log 2.
  assertClose(logProb, [-2000 - Math.LN2, 1 - Math.log(3 + Math.E)], { name: "logProb" });
  assertClose([entropy[0]], [Math.LN2], { name: "entropy row 0" });
  // Row 0 gradient: −adv·(1[j=a] − p) + 0.01·p·(log p + H): p = (½, 0, ½, 0), H = log 2.
  assertClose(Array.from(dLogits.subarray(0, 4)), [0.5, -1, 0.5, 0], { atol: 1e-12 });
});

Deno.test("actor-critic: validation errors name the kernel, argument and shapes", () => {
  const B = 3, A = 4;
  const x = batch(B, A, 31);
  const out = {
    dLogits: new Float64Array(B * A),
    dValues: new Float64Array(B),
    stats: new Float64Array(LOSS_STATS),
  };
  assert.throws(
    () => actorCriticLoss({ ...x, ...out, logits: new Float64Array(10), B, A }),
    {
      name: "RangeError",
      message: /actor_critic\.loss: logits has 10 elements, expected shape \[3, 4\]/,
    },
  );
  assert.throws(
    () => actorCriticLoss({ ...x, ...out, returns: new Float64Array(2), B, A }),
    /actor_critic\.loss: returns has 2 elements, expected shape \[3\]/,
  );
  assert.throws(
    () => actorCriticLoss({ ...x, ...out, actions: new Int32Array([0, 4, 1]), B, A }),
    /actor_critic\.loss: actions\[1\] = 4 is outside \[0, 4\)/,
  );
  assert.throws(
    () => actorCriticLoss({ ...x, ...out, B, A }, { entropyCoef: NaN }),
    /actor_critic\.loss: entropyCoef must be a finite number, got NaN/,
  );
  assert.throws(
    () =>
      actorCriticEvaluate({
        logits: x.logits,
        actions: x.actions,
        logProb: new Float64Array(B),
        entropy: new Float64Array(4),
        B,
        A,
      }),
    /actor_critic\.evaluate: entropy has 4 elements, expected shape \[3\]/,
  );
});

gpuTest("actor-critic: recorder validation names kernel, argument and shape", async (gpu) => {
  const small = createStorageBuffer(gpu, 8 * 4);
  const ok = createStorageBuffer(gpu, 1024);
  const buffers = {
    logits: small,
    values: ok,
    actions: ok,
    advantages: ok,
    returns: ok,
    dLogits: ok,
    dValues: ok,
    stats: ok,
  };
  await assert.rejects(
    recordActorCriticLoss(gpu, buffers, 3, 4),
    {
      name: "RangeError",
      message: /actor_critic\.loss: logits holds 8 floats, expected shape \[3, 4\]/,
    },
  );
  await assert.rejects(
    recordActorCriticLoss(gpu, { ...buffers, logits: ok, stats: small }, 3, 4, {
      statsOffset: 4,
    }),
    /actor_critic\.loss: stats holds 8 floats, expected shape \[9\]/,
  );
  await assert.rejects(recordActorCriticLoss(gpu, buffers, 0, 4), /actor_critic\.loss: B must/);
});

for (const [B, A] of [[67, 6], [300, 18]]) {
  gpuTest(`actor-critic: WGSL loss and evaluate match the twin (B=${B}, A=${A})`, async (gpu) => {
    const x = batch(B, A, 40 + A);
    // Two rows of extreme logits exercise the stable log-softmax on the GPU too.
    x.logits.fill(-1000, 0, A).fill(1000, 0, 1);
    x.logits.fill(1000, A, 2 * A).fill(-1000, A + 1, A + 2);
    const f32 = {
      logits: new Float32Array(x.logits),
      values: new Float32Array(x.values),
      actions: x.actions,
      advantages: new Float32Array(x.advantages),
      returns: new Float32Array(x.returns),
    };
    const opts = { valueCoef: 0.5, entropyCoef: 0.02 };
    const want = runTwin(f32, B, A, opts);
    const logProb = new Float64Array(B);
    const entropy = new Float64Array(B);
    actorCriticEvaluate({ logits: f32.logits, actions: x.actions, logProb, entropy, B, A });

    const statsOffset = 3;
    const stats = createStorageBuffer(gpu, new Float32Array(statsOffset + LOSS_STATS + 2).fill(7));
    const bufs = {
      logits: createStorageBuffer(gpu, f32.logits),
      values: createStorageBuffer(gpu, f32.values),
      actions: createStorageBuffer(gpu, x.actions),
      advantages: createStorageBuffer(gpu, f32.advantages),
      returns: createStorageBuffer(gpu, f32.returns),
      dLogits: createStorageBuffer(gpu, B * A * 4),
      dValues: createStorageBuffer(gpu, B * 4),
      stats,
    };
    const lpBuf = createStorageBuffer(gpu, B * 4);
    const entBuf = createStorageBuffer(gpu, B * 4);
    await runPlan(gpu, [
      ...await recordActorCriticLoss(gpu, bufs, B, A, { ...opts, statsOffset }),
      await recordActorCriticEvaluate(
        gpu,
        { logits: bufs.logits, actions: bufs.actions, logProb: lpBuf, entropy: entBuf },
        B,
        A,
      ),
    ]);
    // f32 softmax on the GPU vs float64 twin: gradients are O(scale) = O(1/B).
    assertClose(await readFloats(gpu, bufs.dLogits), want.dLogits, {
      atol: 2e-7,
      rtol: 1e-4,
      name: "dLogits",
    });
    assertClose(await readFloats(gpu, bufs.dValues), want.dValues, {
      atol: 1e-7,
      rtol: 1e-5,
      name: "dValues",
    });
    const got = await readFloats(gpu, stats);
    assertClose(got.subarray(statsOffset, statsOffset + LOSS_STATS), want.stats, {
      atol: 1e-5,
      rtol: 1e-4,
      name: "stats",
    });
    // Elements around the statistics are untouched.
    assertClose([got[0], got[1], got[2], got[statsOffset + LOSS_STATS]], [7, 7, 7, 7]);
    assertClose(await readFloats(gpu, lpBuf), logProb, { atol: 1e-4, rtol: 1e-5, name: "logProb" });
    assertClose(await readFloats(gpu, entBuf), entropy, {
      atol: 1e-5,
      rtol: 1e-5,
      name: "entropy",
    });
  });
}

gpuTest("actor-critic: WGSL counts bad rows (NaN value, out-of-range action)", async (gpu) => {
  const B = 130, A = 3;
  const x = batch(B, A, 77);
  const values = new Float32Array(x.values);
  values[5] = NaN;
  const actions = x.actions.slice();
  actions[129] = 3; // outside [0, 3): clamped for the gradient, counted as bad
  actions[70] = -1;
  const stats = createStorageBuffer(gpu, LOSS_STATS * 4);
  await runPlan(
    gpu,
    await recordActorCriticLoss(
      gpu,
      {
        logits: createStorageBuffer(gpu, new Float32Array(x.logits)),
        values: createStorageBuffer(gpu, values),
        actions: createStorageBuffer(gpu, actions),
        advantages: createStorageBuffer(gpu, new Float32Array(x.advantages)),
        returns: createStorageBuffer(gpu, new Float32Array(x.returns)),
        dLogits: createStorageBuffer(gpu, B * A * 4),
        dValues: createStorageBuffer(gpu, B * 4),
        stats,
      },
      B,
      A,
    ),
  );
  const got = await readFloats(gpu, stats);
  assert.equal(got[LossStat.badRows], 3);
  assert.ok(Number.isNaN(got[LossStat.loss]));
});
