import assert from "node:assert/strict";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { mlpNet, type NetSpec, paramSpecs, policyOutputs } from "../../src/nn/model_spec.ts";
import {
  makeCpuActivations,
  netBackward,
  netForward,
  type Recurrence,
  viewTensors,
} from "../../src/nn/net_cpu.ts";
import { recordNetBackward, recordNetForward } from "../../src/nn/net_gpu.ts";
import { initParams, makeLayout } from "../../src/nn/params.ts";
import { assertClose, gpuTest, randomArray } from "../util.ts";

/** Runs forward and backward of `net` on both backends and compares every output. */
async function compare(
  gpu: Parameters<Parameters<typeof gpuTest>[1]>[0],
  net: NetSpec,
  obs: Float32Array | Uint8Array,
  B: number,
  rec?: Recurrence,
) {
  const layout = makeLayout(paramSpecs(net).map((p) => ({ ...p, initScale: 1 })));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = initParams(layout, 11);
  const A = policyOutputs(net.head);
  const dPolicy = Float32Array.from(randomArray(B * A, 3));
  const dValue = Float32Array.from(randomArray(B, 4));

  const acts = makeCpuActivations(net, B, rec?.T ?? 1);
  const cpuRec = rec &&
    { ...rec, hT: new Float32Array(rec.h0.length), cT: new Float32Array(rec.c0.length) };
  const grads = new Float32Array(layout.size);
  netForward(net, viewTensors(params, offsets, net), obs, acts, cpuRec);
  netBackward(
    net,
    viewTensors(params, offsets, net),
    viewTensors(grads, offsets, net),
    obs,
    acts,
    dPolicy,
    dValue,
    cpuRec,
  );

  const gpuParams = { buffer: createStorageBuffer(gpu, params, "params"), offsets };
  const gpuGrads = { buffer: createStorageBuffer(gpu, layout.size * 4, "grads"), offsets };
  const input = createStorageBuffer(gpu, obs instanceof Uint8Array ? obs : obs, "obs");
  // On the GPU the final state overwrites the initial one (as the acting net does).
  const gpuRec = rec && {
    T: rec.T,
    starts: createStorageBuffer(gpu, Uint32Array.from(rec.starts), "starts"),
    h0: createStorageBuffer(gpu, rec.h0, "h"),
    c0: createStorageBuffer(gpu, rec.c0, "c"),
  };
  const fwd = await recordNetForward(
    gpu,
    net,
    gpuParams,
    input,
    B,
    gpuRec && { ...gpuRec, hT: gpuRec.h0, cT: gpuRec.c0 },
  );
  const dP = createStorageBuffer(gpu, dPolicy, "dPolicy");
  const dV = createStorageBuffer(gpu, dValue, "dValue");
  const bwd = await recordNetBackward(gpu, net, gpuParams, gpuGrads, fwd, dP, dV);
  await runPlan(gpu, [...fwd.dispatches, ...bwd]);
  const tol = { atol: 1e-4, rtol: 1e-3 };
  assertClose(await readFloats(gpu, fwd.policy), acts.policy, { ...tol, name: "policy" });
  assertClose(await readFloats(gpu, fwd.value), acts.value, { ...tol, name: "value" });
  if (gpuRec && cpuRec) {
    assertClose(await readFloats(gpu, gpuRec.h0), cpuRec.hT, { ...tol, name: "hT" });
    assertClose(await readFloats(gpu, gpuRec.c0), cpuRec.cT, { ...tol, name: "cT" });
  }
  for (const t of layout.tensors) {
    const got = await readFloats(gpu, gpuGrads.buffer, t.offset, t.length);
    assertClose(got, grads.subarray(t.offset, t.offset + t.length), { ...tol, name: t.name });
  }
}

gpuTest("net_gpu: conv net on u8 pixels matches net_cpu (forward, all gradients)", async (gpu) => {
  const net: NetSpec = {
    input: { shape: [2, 12, 10], dtype: "u8" },
    layers: [
      { kind: "conv2d", outChannels: 3, kernel: 4, stride: 2, activation: "relu" },
      { kind: "conv2d", outChannels: 5, kernel: 3, stride: 1, padding: 1, activation: "elu" },
      { kind: "linear", outFeatures: 7, activation: "tanh" },
    ],
    head: { kind: "categorical", actions: 3 },
  };
  const B = 5;
  const obs = Uint8Array.from({ length: B * 2 * 12 * 10 }, (_, i) => (i * 37 + 11) % 256);
  await compare(gpu, net, obs, B);
});

gpuTest("net_gpu: MLP on f32 vectors matches net_cpu (forward, all gradients)", async (gpu) => {
  const net = mlpNet(6, { kind: "categorical", actions: 4 }, [9, 5]);
  const B = 13;
  await compare(gpu, net, Float32Array.from(randomArray(B * 6, 9)), B);
});

gpuTest("net_gpu: conv + LSTM net over T steps with resets matches net_cpu", async (gpu) => {
  const T = 3, S = 5, H = 6;
  const net: NetSpec = {
    input: { shape: [2, 9, 8], dtype: "u8" },
    layers: [
      { kind: "conv2d", outChannels: 3, kernel: 3, stride: 2, padding: 1, activation: "elu" },
      { kind: "lstm", hidden: H },
    ],
    head: { kind: "categorical", actions: 4 },
  };
  const obs = Uint8Array.from({ length: T * S * 144 }, (_, i) => (i * 97 + 5) % 256);
  await compare(gpu, net, obs, T * S, {
    T,
    starts: Uint32Array.from({ length: T * S }, (_, i) => (i % 4 === 1 ? 1 : 0)),
    h0: Float32Array.from(randomArray(S * H, 21)),
    c0: Float32Array.from(randomArray(S * H, 22)),
  });
});

gpuTest(
  "net_gpu: an LSTM without its state or a linear layer on u8 pixels is refused, naming it",
  async (gpu) => {
    const params = { buffer: createStorageBuffer(gpu, 1024, "p"), offsets: {} };
    const lstm: NetSpec = {
      input: { shape: [4], dtype: "f32" },
      layers: [{ kind: "lstm", hidden: 3 }],
      head: { kind: "categorical", actions: 2 },
    };
    await assert.rejects(
      recordNetForward(gpu, lstm, params, params.buffer, 1),
      /layer 0 is an LSTM; pass its recurrent state/,
    );
    const pixels: NetSpec = { ...mlpNet(8, { kind: "categorical", actions: 2 }, [3]) };
    await assert.rejects(
      recordNetForward(
        gpu,
        { ...pixels, input: { shape: [8], dtype: "u8" } },
        params,
        params.buffer,
        1,
      ),
      /u8 pixel observations need a conv2d first layer/,
    );
  },
);
