import assert from "node:assert/strict";
import { greedyActions, sampleCategorical, softmaxRows } from "../../src/nn/sample.ts";
import {
  createCounterBuffer,
  recordCounterAdvance,
  recordGreedy,
  recordSampleCategorical,
} from "../../src/nn/sample_gpu.ts";
import { createStorageBuffer, readBuffer, readU32 } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { randUnit } from "../../src/util/rng.ts";
import { gpuTest, randomArray } from "../util.ts";

/** Asserts each frequency is within 4.5 standard errors (+1e-4) of its probability. */
function assertFrequencies(counts: number[], probs: number[], n: number, what: string): void {
  for (let j = 0; j < probs.length; j++) {
    const f = counts[j] / n;
    const p = probs[j];
    const tol = 4.5 * Math.sqrt(p * (1 - p) / n) + 1e-4;
    assert.ok(
      Math.abs(f - p) <= tol,
      `${what}: action ${j} drawn at rate ${f}, softmax probability ${p} (tolerance ${tol})`,
    );
  }
}

const LOGITS = [0.5, -1, 2, 0, -1000, 1.2];

Deno.test("sample (twin): frequencies over counters and over streams match softmax", () => {
  const A = LOGITS.length;
  const probs = new Float64Array(A);
  softmaxRows(new Float64Array(LOGITS), probs, 1, A);
  const n = 20000;
  // One row, counter 0 .. n−1: the per-step sequence of one env.
  const counts = new Array(A).fill(0);
  const one = new Int32Array(1);
  for (let c = 0; c < n; c++) {
    sampleCategorical({
      logits: new Float32Array(LOGITS),
      actions: one,
      B: 1,
      A,
      seed: 9,
      counter: c,
    });
    counts[one[0]]++;
  }
  assertFrequencies(counts, Array.from(probs), n, "over counters");
  assert.equal(counts[4], 0, "a logit of −1000 is never drawn");
  // n identical rows at one counter: the streams of n envs in one step.
  const logits = new Float32Array(n * A);
  for (let b = 0; b < n; b++) logits.set(LOGITS, b * A);
  const actions = new Int32Array(n);
  sampleCategorical({ logits, actions, B: n, A, seed: 3, counter: 17, streamOffset: 100 });
  const counts2 = new Array(A).fill(0);
  for (const a of actions) counts2[a]++;
  assertFrequencies(counts2, Array.from(probs), n, "over streams");
});

Deno.test("greedy (twin): argmax with ties to the lowest index", () => {
  const logits = new Float32Array([1, 3, 3, 2, 5, 5, 5, 5, -1, -2, -1, -3]);
  const actions = new Int32Array(3);
  greedyActions({ logits, actions, B: 3, A: 4 });
  assert.deepEqual(Array.from(actions), [1, 0, 0]);
});

Deno.test("sample: validation errors name the kernel, argument and shapes", () => {
  const logits = new Float32Array(12);
  assert.throws(
    () =>
      sampleCategorical({ logits, actions: new Int32Array(2), B: 3, A: 4, seed: 1, counter: 0 }),
    { name: "RangeError", message: /sample\.sample: actions has 2 elements, expected shape \[3\]/ },
  );
  assert.throws(
    () =>
      sampleCategorical({ logits, actions: new Int32Array(3), B: 3, A: 5, seed: 1, counter: 0 }),
    /sample\.sample: logits has 12 elements, expected shape \[3, 5\]/,
  );
  assert.throws(
    () =>
      sampleCategorical({ logits, actions: new Int32Array(3), B: 3, A: 4, seed: 1, counter: -1 }),
    /sample\.sample: counter must be an integer in \[0, 2\^32\), got -1/,
  );
  assert.throws(
    () => greedyActions({ logits, actions: new Int32Array(4), B: 3, A: 4 }),
    /sample\.greedy: actions has 4 elements, expected shape \[3\]/,
  );
});

gpuTest("sample: recorder validation names kernel, argument and shape", async (gpu) => {
  const logits = createStorageBuffer(gpu, 12 * 4);
  const counter = createCounterBuffer(gpu);
  await assert.rejects(
    recordSampleCategorical(gpu, { logits, counter, actions: createStorageBuffer(gpu, 8) }, {
      B: 3,
      A: 4,
      seed: 1,
    }),
    {
      name: "RangeError",
      message: /sample\.sample: actions holds 2 i32 elements, expected shape \[3\]/,
    },
  );
  await assert.rejects(
    recordGreedy(gpu, logits, createStorageBuffer(gpu, 12), 4, 4),
    /sample\.greedy: logits holds 12 floats, expected shape \[4, 4\]/,
  );
  await assert.rejects(recordCounterAdvance(gpu, counter, 1.5), /sample\.advance: increment/);
});

/** The CDF boundaries of a row in float64 (for explaining GPU/twin disagreements). */
function nearBoundary(row: Float32Array, u: number, relTol: number): boolean {
  const m = Math.max(...row);
  const e = Array.from(row, (z) => Math.exp(z - m));
  const s = e.reduce((x, y) => x + y, 0);
  let cdf = 0;
  for (const ej of e) {
    cdf += ej;
    if (Math.abs(u * s - cdf) <= relTol * s) return true;
  }
  return false;
}

gpuTest(
  "sample: WGSL sampler matches the twin on 2000 rows; counter advances on the GPU",
  async (gpu) => {
    const B = 2000, A = 7, seed = 1234, streamOffset = 11, start = 5;
    const logits = new Float32Array(randomArray(B * A, 8, -3, 3));
    logits.fill(-1000, 0, A - 1); // row 0: all mass on the last action
    logits.fill(1000, A, A + 3); // row 1: three-way tie at 1000
    const logitsBuf = createStorageBuffer(gpu, logits);
    const counter = createCounterBuffer(gpu, start);
    const actionsBuf = createStorageBuffer(gpu, B * 4);
    const plan = [
      await recordSampleCategorical(gpu, { logits: logitsBuf, counter, actions: actionsBuf }, {
        B,
        A,
        seed,
        streamOffset,
      }),
      await recordCounterAdvance(gpu, counter),
    ];
    await runPlan(gpu, plan, 3); // three steps: counters 5, 6, 7; then the counter holds 8
    assert.equal((await readU32(gpu, counter))[0], start + 3);
    const got = new Int32Array(await readBuffer(gpu, actionsBuf));
    const want = new Int32Array(B);
    sampleCategorical({ logits, actions: want, B, A, seed, counter: start + 2, streamOffset });
    let agree = 0;
    for (let b = 0; b < B; b++) {
      if (got[b] === want[b]) {
        agree++;
        continue;
      }
      // A disagreement is only allowed where u·s lies within float rounding of a CDF boundary
      // (the GPU's exp and Math.exp differ by a few ulps).
      const u = randUnit(seed, b + streamOffset, start + 2);
      assert.ok(
        nearBoundary(logits.subarray(b * A, b * A + A), u, 1e-5),
        `row ${b}: GPU drew ${got[b]}, twin ${want[b]}, not near a CDF boundary`,
      );
    }
    assert.ok(agree >= 0.99 * B, `only ${agree} of ${B} rows agree`);
    assert.equal(got[0], A - 1);
    assert.ok(got[1] >= 0 && got[1] < 3);
    if (agree < B) console.log(`  GPU and twin agree on ${agree} of ${B} rows (boundary cases)`);
    // A different counter gives different draws (the counter is really read).
    const other = new Int32Array(B);
    sampleCategorical({ logits, actions: other, B, A, seed, counter: start + 1, streamOffset });
    assert.ok(other.some((a, b) => a !== want[b]));
  },
);

gpuTest("greedy: WGSL argmax matches the twin (B=67, ties included)", async (gpu) => {
  const B = 67, A = 5;
  // Values on a coarse grid so ties are common.
  const logits = new Float32Array(randomArray(B * A, 12, 0, 4).map((v) => Math.floor(v)));
  const want = new Int32Array(B);
  greedyActions({ logits, actions: want, B, A });
  const actionsBuf = createStorageBuffer(gpu, B * 4);
  await runPlan(gpu, [await recordGreedy(gpu, createStorageBuffer(gpu, logits), actionsBuf, B, A)]);
  assert.deepEqual(Array.from(new Int32Array(await readBuffer(gpu, actionsBuf))), Array.from(want));
});
