import { actorCriticLoss, LOSS_STATS, LossStat } from "../../src/nn/actor_critic.ts";
import { a3cFeedForwardNet, mlpNet, type NetSpec, paramSpecs } from "../../src/nn/model_spec.ts";
import { makeCpuActivations, netBackward, netForward, viewTensors } from "../../src/nn/net_cpu.ts";
import { initParams, makeLayout } from "../../src/nn/params.ts";
import { assertClose } from "../util.ts";

/**
 * Checks netBackward through the fused actor-critic loss against central differences. The
 * net runs in float32, so steps are 1e-2 and the tolerance 2e-3 absolute: a wrong sign or a
 * missing term is off by far more.
 */
function gradCheck(net: NetSpec, obs: Float32Array | Uint8Array, B: number, A: number) {
  const layout = makeLayout(paramSpecs(net).map((p) => ({ ...p, initScale: 1 })));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = initParams(layout, 7);
  const grads = new Float32Array(layout.size);
  const pv = viewTensors(params, offsets, net);
  const gv = viewTensors(grads, offsets, net);
  const acts = makeCpuActivations(net, B);
  const actions = Int32Array.from({ length: B }, (_, i) => i % A);
  const advantages = Float32Array.from({ length: B }, (_, i) => Math.sin(i + 1));
  const returns = Float32Array.from({ length: B }, (_, i) => 0.3 * i - 0.5);
  const dLogits = new Float32Array(B * A);
  const dValues = new Float32Array(B);
  const stats = new Float32Array(LOSS_STATS);
  const loss = () => {
    netForward(net, pv, obs, acts);
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
  netBackward(net, pv, gv, obs, acts, dLogits, dValues);
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
