import assert from "node:assert/strict";
import { makeAsyncNet, resolveAsyncConfig } from "../../src/algos/async/mod.ts";
import { initParams } from "../../src/nn/params.ts";
import { makeRng } from "../../src/util/rng.ts";

/** Largest |a − b| over max(1, |b|): relative where b is large, absolute near 0. */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return d;
}

// The A3C update reads its forward from the acting passes it kept (same θ'): the outputs and
// the gradient must be those of a fresh forward of the rollout's rows, whatever the rollout's
// length (the row store grows by doubling; 5 rows need two growths, then 3 rows reuse it).
Deno.test("async net: kept acting passes give the update the outputs and gradient of a fresh forward", () => {
  const config = resolveAsyncConfig({ algo: "a3c", env: "pong", envOptions: { frameSize: 42 } });
  const net = makeAsyncNet(config);
  assert.ok(net.keep && net.kept && net.backwardKept, "the FF net keeps its acting passes");
  const params = initParams(net.layout, 3);
  const rowSize = 4 * 42 * 42;
  const rng = makeRng(5);
  const A = net.actions;
  for (const n of [5, 3]) {
    const obs = Uint8Array.from({ length: n * rowSize }, () => (rng.int(4) === 0 ? 236 : 0));
    for (let r = 0; r < n; r++) {
      net.forward(params, obs.subarray(r * rowSize, (r + 1) * rowSize), 1);
      net.keep(r);
    }
    const kept = net.kept(n);
    const dPolicy = Float32Array.from({ length: n * A }, () => rng.unit() - 0.5);
    const dValue = Float32Array.from({ length: n }, () => rng.unit() - 0.5);
    const gKept = new Float32Array(net.layout.size);
    net.backwardKept(params, gKept, obs, n, dPolicy, dValue);
    const keptPolicy = kept.policy.slice();
    const keptValue = kept.value.slice();
    const fresh = net.forward(params, obs, n);
    const gFresh = new Float32Array(net.layout.size);
    net.backward(params, gFresh, obs, n, dPolicy, dValue);
    assert.ok(maxRelDiff(keptPolicy, fresh.policy) <= 1e-5, `n ${n}: policy`);
    assert.ok(maxRelDiff(keptValue, fresh.value) <= 1e-5, `n ${n}: value`);
    const d = maxRelDiff(gKept, gFresh);
    assert.ok(d <= 1e-4, `n ${n}: gradient differs by ${d}`);
    assert.ok(gFresh.some((g) => g !== 0), "a gradient at all");
  }
});

Deno.test("async net: a recurrent net replays its rollout (no kept passes)", () => {
  const net = makeAsyncNet(
    resolveAsyncConfig({ algo: "a3c", env: "pong", envOptions: { frameSize: 42 }, net: "lstm" }),
  );
  assert.equal(net.keep, undefined);
});
