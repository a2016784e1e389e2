import assert from "node:assert/strict";
import { type ActorCriticOptions, LOSS_STATS, LossStat } from "../../src/nn/actor_critic.ts";
import {
  gaussianEvaluate,
  gaussianLoss,
  type GaussianLossArgs,
  gaussianSample,
} from "../../src/nn/gaussian.ts";
import {
  recordGaussianEvaluate,
  recordGaussianLoss,
  recordGaussianSample,
} from "../../src/nn/gaussian_gpu.ts";
import { createCounterBuffer } from "../../src/nn/sample_gpu.ts";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { assertClose, gpuTest, numericGradient, randomArray } from "../util.ts";

type Inputs = Pick<
  GaussianLossArgs,
  "mean" | "logStd" | "actions" | "values" | "advantages" | "returns"
>;

/** A random batch: means in ±1, logStd in [−1, 0.5], actions near the means. */
function batch(B: number, D: number, seed: number) {
  const mean = randomArray(B * D, seed + 1);
  const noise = randomArray(B * D, seed + 2, -2, 2);
  return {
    mean,
    logStd: randomArray(D, seed + 3, -1, 0.5),
    actions: mean.map((m, i) => m + noise[i]),
    values: randomArray(B, seed + 4, -2, 2),
    advantages: randomArray(B, seed + 5),
    returns: randomArray(B, seed + 6, -2, 2),
  };
}

function runTwin(x: Inputs, B: number, D: number, opts?: ActorCriticOptions) {
  const dMean = new Float64Array(B * D);
  const dLogStd = new Float64Array(D);
  const dValues = new Float64Array(B);
  const stats = new Float64Array(LOSS_STATS);
  gaussianLoss({ ...x, dMean, dLogStd, dValues, stats, B, D }, opts);
  return { dMean, dLogStd, dValues, stats };
}

for (const opts of [{}, { valueCoef: 0.25, entropyCoef: 0.1, scale: 1 }]) {
  Deno.test(`gaussian: gradients match finite differences ${JSON.stringify(opts)} (float64)`, () => {
    const B = 6, D = 3;
    const x = batch(B, D, 50);
    const loss = () => runTwin(x, B, D, opts).stats[LossStat.loss];
    const numMean = numericGradient(loss, x.mean);
    const numLogStd = numericGradient(loss, x.logStd);
    const numValues = numericGradient(loss, x.values);
    const got = runTwin(x, B, D, opts);
    assertClose(got.dMean, numMean, { atol: 1e-8, rtol: 1e-6, name: "dMean" });
    assertClose(got.dLogStd, numLogStd, { atol: 1e-8, rtol: 1e-6, name: "dLogStd" });
    assertClose(got.dValues, numValues, { atol: 1e-8, rtol: 1e-6, name: "dValues" });
  });
}

Deno.test("gaussian: log-prob, entropy and statistics match the closed forms", () => {
  const B = 5, D = 2;
  const x = batch(B, D, 60);
  const logProb = new Float64Array(B);
  const entropy = new Float64Array(B);
  gaussianEvaluate({ ...x, logProb, entropy, B, D });
  let policy = 0, ent = 0;
  for (let b = 0; b < B; b++) {
    let lp = 0, h = 0;
    for (let d = 0; d < D; d++) {
      const sigma = Math.exp(x.logStd[d]);
      const diff = x.actions[b * D + d] - x.mean[b * D + d];
      lp += Math.log(
        Math.exp(-diff * diff / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI)),
      );
      h += 0.5 * Math.log(2 * Math.PI * Math.E * sigma * sigma);
    }
    assertClose([logProb[b]], [lp], { atol: 1e-12, name: "logProb" });
    assertClose([entropy[b]], [h], { atol: 1e-12, name: "entropy" });
    policy -= x.advantages[b] * lp;
    ent += h;
  }
  const { stats } = runTwin(x, B, D, { entropyCoef: 0.3 });
  assertClose([stats[LossStat.policyLoss], stats[LossStat.entropy]], [policy / B, ent / B], {
    atol: 1e-12,
  });
  assertClose(
    [stats[LossStat.loss]],
    [stats[0] + 0.5 * stats[1] - 0.3 * stats[2]],
    { atol: 1e-12, name: "total" },
  );
});

Deno.test("gaussian (twin): samples have the requested mean and standard deviation", () => {
  const D = 2, n = 20000;
  const mean = new Float64Array([0.5, -2]);
  const logStd = new Float64Array([Math.log(0.3), Math.log(2)]);
  const a = new Float64Array(D);
  const sum = [0, 0], sq = [0, 0], within = [0, 0];
  for (let c = 0; c < n; c++) {
    gaussianSample({ mean, logStd, actions: a, B: 1, D, seed: 5, counter: c, streamOffset: 3 });
    for (let d = 0; d < D; d++) {
      const z = (a[d] - mean[d]) / Math.exp(logStd[d]);
      sum[d] += z;
      sq[d] += z * z;
      if (Math.abs(z) < 1) within[d]++;
    }
  }
  for (let d = 0; d < D; d++) {
    // Standard errors: mean 1/√n, variance √(2/n), P(|z|<1) √(p(1−p)/n); tolerances 4.5 σ.
    const m = sum[d] / n;
    const v = sq[d] / n - m * m;
    assert.ok(Math.abs(m) < 4.5 / Math.sqrt(n), `dim ${d}: mean of ε is ${m}`);
    assert.ok(Math.abs(v - 1) < 4.5 * Math.sqrt(2 / n), `dim ${d}: variance of ε is ${v}`);
    const p = within[d] / n;
    assert.ok(Math.abs(p - 0.6827) < 4.5 * Math.sqrt(0.6827 * 0.3173 / n), `dim ${d}: ${p}`);
  }
});

Deno.test("gaussian: validation errors name the kernel, argument and shapes", () => {
  const B = 4, D = 2;
  const x = batch(B, D, 70);
  const out = {
    dMean: new Float64Array(B * D),
    dLogStd: new Float64Array(D),
    dValues: new Float64Array(B),
    stats: new Float64Array(LOSS_STATS),
  };
  assert.throws(
    () => gaussianLoss({ ...x, ...out, logStd: new Float64Array(3), B, D }),
    { name: "RangeError", message: /gaussian\.loss: logStd has 3 elements, expected shape \[2\]/ },
  );
  assert.throws(
    () => gaussianLoss({ ...x, ...out, dMean: new Float64Array(7), B, D }),
    /gaussian\.loss: dMean has 7 elements, expected shape \[4, 2\]/,
  );
  assert.throws(
    () =>
      gaussianSample({
        ...x,
        actions: new Float64Array(B),
        B,
        D,
        seed: 1,
        counter: 0,
      }),
    /gaussian\.sample: actions has 4 elements, expected shape \[4, 2\]/,
  );
  assert.throws(
    () => gaussianSample({ ...x, B, D, seed: 1.5, counter: 0 }),
    /gaussian\.sample: seed must be an integer/,
  );
});

gpuTest("gaussian: recorder validation names kernel, argument and shape", async (gpu) => {
  const ok = createStorageBuffer(gpu, 4096);
  const bufs = {
    mean: ok,
    logStd: createStorageBuffer(gpu, 4),
    actions: ok,
    values: ok,
    advantages: ok,
    returns: ok,
    dMean: ok,
    dLogStd: ok,
    dValues: ok,
    stats: ok,
  };
  await assert.rejects(recordGaussianLoss(gpu, bufs, 10, 3), {
    name: "RangeError",
    message: /gaussian\.loss: logStd holds 1 floats, expected shape \[3\]/,
  });
  await assert.rejects(
    recordGaussianSample(gpu, { ...bufs, counter: ok, actions: createStorageBuffer(gpu, 16) }, {
      B: 5,
      D: 1,
      seed: 0,
    }),
    /gaussian\.sample: actions holds 4 floats, expected shape \[5, 1\]/,
  );
});

for (const [B, D] of [[67, 1], [300, 3]]) {
  gpuTest(
    `gaussian: WGSL sample, evaluate and loss match the twin (B=${B}, D=${D})`,
    async (gpu) => {
      const x = batch(B, D, 80 + D);
      const f32 = {
        mean: new Float32Array(x.mean),
        logStd: new Float32Array(x.logStd),
        actions: new Float32Array(x.actions),
        values: new Float32Array(x.values),
        advantages: new Float32Array(x.advantages),
        returns: new Float32Array(x.returns),
      };
      const seed = 77, counterValue = 12, streamOffset = 4;
      const opts = { valueCoef: 0.5, entropyCoef: 0.01, statsOffset: 2 };
      const want = runTwin(f32, B, D, opts);
      const wantSample = new Float64Array(B * D);
      gaussianSample({
        mean: f32.mean,
        logStd: f32.logStd,
        actions: wantSample,
        B,
        D,
        seed,
        counter: counterValue,
        streamOffset,
      });
      const logProb = new Float64Array(B);
      const entropy = new Float64Array(B);
      gaussianEvaluate({ ...f32, logProb, entropy, B, D });

      const b = {
        mean: createStorageBuffer(gpu, f32.mean),
        logStd: createStorageBuffer(gpu, f32.logStd),
        actions: createStorageBuffer(gpu, f32.actions),
        values: createStorageBuffer(gpu, f32.values),
        advantages: createStorageBuffer(gpu, f32.advantages),
        returns: createStorageBuffer(gpu, f32.returns),
        dMean: createStorageBuffer(gpu, B * D * 4),
        dLogStd: createStorageBuffer(gpu, D * 4),
        dValues: createStorageBuffer(gpu, B * 4),
        stats: createStorageBuffer(gpu, (2 + LOSS_STATS) * 4),
      };
      const sampled = createStorageBuffer(gpu, B * D * 4);
      const lpBuf = createStorageBuffer(gpu, B * 4);
      const entBuf = createStorageBuffer(gpu, B * 4);
      await runPlan(gpu, [
        ...await recordGaussianLoss(gpu, b, B, D, opts),
        await recordGaussianEvaluate(
          gpu,
          { mean: b.mean, logStd: b.logStd, actions: b.actions, logProb: lpBuf, entropy: entBuf },
          B,
          D,
        ),
        await recordGaussianSample(gpu, {
          mean: b.mean,
          logStd: b.logStd,
          counter: createCounterBuffer(gpu, counterValue),
          actions: sampled,
        }, { B, D, seed, streamOffset }),
      ]);
      // f32 log/cos/exp on the GPU vs float64 in the twin; |ε| ≤ 5.8 and σ ≤ e^0.5.
      assertClose(await readFloats(gpu, sampled), wantSample, {
        atol: 2e-5,
        rtol: 1e-5,
        name: "sampled actions",
      });
      assertClose(await readFloats(gpu, b.dMean), want.dMean, {
        atol: 1e-6,
        rtol: 1e-4,
        name: "dMean",
      });
      assertClose(await readFloats(gpu, b.dLogStd), want.dLogStd, {
        atol: 1e-5,
        rtol: 1e-4,
        name: "dLogStd",
      });
      assertClose(await readFloats(gpu, b.dValues), want.dValues, {
        atol: 1e-7,
        rtol: 1e-5,
        name: "dValues",
      });
      const stats = await readFloats(gpu, b.stats);
      assertClose(stats.subarray(2), want.stats, { atol: 1e-5, rtol: 1e-4, name: "stats" });
      assertClose(await readFloats(gpu, lpBuf), logProb, {
        atol: 1e-4,
        rtol: 1e-5,
        name: "logProb",
      });
      assertClose(await readFloats(gpu, entBuf), entropy, {
        atol: 1e-5,
        rtol: 1e-5,
        name: "entropy",
      });
    },
  );
}
