import assert from "node:assert/strict";
import { actorCriticLoss, LOSS_STATS, LossStat } from "../../src/nn/actor_critic.ts";
import { setGemmBackend } from "../../src/nn/gemm.ts";
import {
  a3cFeedForwardNet,
  a3cLstmNet,
  coverPadding,
  mlpNet,
  type NetSpec,
  paramSpecs,
  resolveLayers,
} from "../../src/nn/model_spec.ts";
import {
  makeCpuActivations,
  netBackward,
  netForward,
  type Recurrence,
  viewTensors,
} from "../../src/nn/net_cpu.ts";
import { initParams, makeLayout } from "../../src/nn/params.ts";
import { assertClose } from "../util.ts";

/**
 * Checks netBackward through the fused actor-critic loss against central differences. The
 * net runs in float32, so steps are 1e-2 and the tolerance 2e-3 absolute: a wrong sign or a
 * missing term is off by far more.
 */
function gradCheck(
  net: NetSpec,
  obs: Float32Array | Uint8Array,
  B: number,
  A: number,
  rec?: Recurrence,
) {
  const layout = makeLayout(paramSpecs(net).map((p) => ({ ...p, initScale: 1 })));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = initParams(layout, 7);
  const grads = new Float32Array(layout.size);
  const pv = viewTensors(params, offsets, net);
  const gv = viewTensors(grads, offsets, net);
  const acts = makeCpuActivations(net, B, rec?.T ?? 1);
  const actions = Int32Array.from({ length: B }, (_, i) => i % A);
  const advantages = Float32Array.from({ length: B }, (_, i) => Math.sin(i + 1));
  const returns = Float32Array.from({ length: B }, (_, i) => 0.3 * i - 0.5);
  const dLogits = new Float32Array(B * A);
  const dValues = new Float32Array(B);
  const stats = new Float32Array(LOSS_STATS);
  const loss = () => {
    netForward(net, pv, obs, acts, rec);
    actorCriticLoss({
      logits: acts.policy,
      values: acts.value,
      actions,
      advantages,
      returns,
      dLogits,
      dValues,
      stats,
      B,
      A,
    });
    return stats[LossStat.loss];
  };
  loss();
  netBackward(net, pv, gv, obs, acts, dLogits, dValues, rec);
  const analytic = grads.slice();
  const numeric = new Float32Array(layout.size);
  for (const t of layout.tensors) {
    for (let j = 0; j < t.length; j++) {
      const i = t.offset + j;
      const saved = params[i];
      params[i] = saved + 1e-2;
      const plus = loss();
      params[i] = saved - 1e-2;
      const minus = loss();
      params[i] = saved;
      numeric[i] = (plus - minus) / 2e-2;
    }
  }
  assertClose(analytic, numeric, { atol: 2e-3, rtol: 1e-2, name: "parameter gradients" });
}

Deno.test("net_cpu: MLP gradients through the fused head match finite differences", () => {
  const B = 6;
  gradCheck(
    mlpNet(5, { kind: "categorical", actions: 3 }, [4, 3]),
    Float32Array.from({ length: B * 5 }, (_, i) => Math.cos(i)),
    B,
    3,
  );
});

Deno.test("net_cpu: conv net on u8 pixels, gradients match finite differences", () => {
  const B = 2;
  const net: NetSpec = {
    ...a3cFeedForwardNet([2, 12, 12], 4, "u8"),
    layers: [
      { kind: "conv2d", outChannels: 3, kernel: 4, stride: 2, activation: "elu" },
      { kind: "conv2d", outChannels: 2, kernel: 3, stride: 1, padding: 1, activation: "tanh" },
      { kind: "linear", outFeatures: 5, activation: "elu" },
    ],
  };
  gradCheck(net, Uint8Array.from({ length: B * 288 }, (_, i) => (i * 53) % 256), B, 4);
});

Deno.test("net_cpu: conv + LSTM net over T steps with a reset, gradients match finite differences", () => {
  const T = 3, S = 2, H = 3;
  const B = T * S;
  const net: NetSpec = {
    input: { shape: [1, 7, 6], dtype: "u8" },
    layers: [
      { kind: "conv2d", outChannels: 2, kernel: 3, stride: 2, padding: 1, activation: "elu" },
      { kind: "lstm", hidden: H },
      { kind: "linear", outFeatures: 4, activation: "tanh" },
    ],
    head: { kind: "categorical", actions: 3 },
  };
  const rec: Recurrence = {
    T,
    starts: Uint32Array.from([0, 1, 0, 0, 1, 0]), // sequence 1 restarts at t=0, sequence 0 at t=2
    h0: Float32Array.from({ length: S * H }, (_, i) => 0.3 * Math.sin(i + 1)),
    c0: Float32Array.from({ length: S * H }, (_, i) => 0.5 * Math.cos(i)),
  };
  gradCheck(net, Uint8Array.from({ length: B * 42 }, (_, i) => (i * 29) % 256), B, 3, rec);
});

Deno.test("net_cpu: the final state of a T-step forward equals T one-step forwards; missing state is refused", () => {
  const T = 4, S = 3, H = 5;
  const net: NetSpec = {
    input: { shape: [6], dtype: "f32" },
    layers: [{ kind: "linear", outFeatures: 4, activation: "relu" }, { kind: "lstm", hidden: H }],
    head: { kind: "categorical", actions: 2 },
  };
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const pv = viewTensors(initParams(layout, 3), offsets, net);
  const obs = Float32Array.from({ length: T * S * 6 }, (_, i) => Math.sin(0.7 * i));
  const starts = Uint32Array.from({ length: T * S }, (_, i) => (i === 4 ? 1 : 0));
  const seq = makeCpuActivations(net, T * S, T);
  const hT = new Float32Array(S * H), cT = new Float32Array(S * H);
  netForward(net, pv, obs, seq, {
    T,
    starts,
    h0: new Float32Array(S * H),
    c0: new Float32Array(S * H),
    hT,
    cT,
  });
  const step = makeCpuActivations(net, S, 1);
  const h = new Float32Array(S * H), c = new Float32Array(S * H);
  for (let t = 0; t < T; t++) {
    const o = obs.subarray(t * S * 6, (t + 1) * S * 6);
    netForward(net, pv, o, step, {
      T: 1,
      starts: starts.subarray(t * S, (t + 1) * S),
      h0: h,
      c0: c,
      hT: h,
      cT: c,
    });
    assertClose(step.policy, seq.policy.subarray(t * S * 2, (t + 1) * S * 2), {
      atol: 1e-6,
      name: `policy at t=${t}`,
    });
  }
  assertClose(h, hT, { atol: 1e-6, name: "hT" });
  assertClose(c, cT, { atol: 1e-6, name: "cT" });
  assert.throws(
    () => netForward(net, pv, obs, seq),
    /layer 1 is an LSTM; pass its recurrent state/,
  );
});

Deno.test("net_cpu: the fast path (GEMM, im2col, ELU) == the twins on the conv + LSTM net, forward and backward", () => {
  // The 42×42 LSTM net: u8 im2col at stride 2, float patches, ELU outputs of 14,112 floats a
  // sample (past the fast ELU's minimum), the gate products. T 4 steps of 2 sequences.
  const net = a3cLstmNet([1, 42, 42], 6, "u8");
  const T = 4, S = 2, B = T * S, H = 256;
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const pv = viewTensors(initParams(layout, 5), offsets, net);
  const obs = Uint8Array.from({ length: B * 42 * 42 }, (_, i) => (i * 2654435761) >>> 24);
  const rec = (): Recurrence => ({
    T,
    starts: Uint32Array.from({ length: B }, (_, i) => (i === 3 ? 1 : 0)),
    h0: Float32Array.from({ length: S * H }, (_, i) => 0.1 * Math.sin(i)),
    c0: Float32Array.from({ length: S * H }, (_, i) => 0.1 * Math.cos(i)),
  });
  const dPolicy = Float32Array.from({ length: B * 6 }, (_, i) => 0.1 * Math.sin(3 * i));
  const dValue = Float32Array.from({ length: B }, (_, i) => 0.1 * Math.cos(i));
  const pass = (backend: "ts" | undefined) => {
    setGemmBackend(backend);
    try {
      const acts = makeCpuActivations(net, B, T);
      const grads = new Float32Array(layout.size);
      const r = rec();
      netForward(net, pv, obs, acts, r);
      netBackward(net, pv, viewTensors(grads, offsets, net), obs, acts, dPolicy, dValue, r);
      return { acts, grads };
    } finally {
      setGemmBackend(undefined);
    }
  };
  const twin = pass("ts"), fast = pass(undefined);
  for (const [i, y] of fast.acts.outputs.entries()) {
    assertClose(y, twin.acts.outputs[i], { atol: 1e-5, rtol: 1e-4, name: `layer ${i} output` });
  }
  assertClose(fast.acts.policy, twin.acts.policy, { atol: 1e-5, rtol: 1e-4, name: "policy" });
  assertClose(fast.acts.value, twin.acts.value, { atol: 1e-5, rtol: 1e-4, name: "value" });
  assertClose(fast.grads, twin.grads, { atol: 1e-5, rtol: 1e-3, name: "gradients" });
});

Deno.test("nets: every input pixel reaches the body; a conv that skips some is refused", () => {
  // The A3C FF net: unpadded on 84×84; on 42×42 padded so the agent's paddle (the right
  // columns) reaches the fc layer (unpadded, conv 4×4/2 on 9 columns read only 8).
  const shapes = (side: number) =>
    resolveLayers(a3cFeedForwardNet([4, side, side])).map((l) => l.outShape.join("x"));
  assert.deepEqual(shapes(84), ["16x20x20", "32x9x9", "256"]);
  assert.deepEqual(shapes(42), ["16x10x10", "32x4x4", "256"]);
  assert.equal(coverPadding(42, 8, 4), 1);
  assert.equal(coverPadding(9, 4, 2), 1);
  assert.equal(coverPadding(10, 1, 2), 1); // a stride past the kernel: padding shifts the grid
  const skipping: NetSpec = {
    input: { shape: [1, 9, 9], dtype: "f32" },
    layers: [{ kind: "conv2d", outChannels: 2, kernel: 4, stride: 2, activation: "relu" }],
    head: { kind: "categorical", actions: 2 },
  };
  assert.throws(
    () => resolveLayers(skipping),
    /layer 0 \(conv2d\): kernel 4 stride 2 padding 0 never reads input rows 8\.\.8 of \[1, 9, 9\]; padding 1 reads them all/,
  );
});
