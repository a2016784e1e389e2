/**
 * Learner throughput: samples per second of one A2C learning step — network forward, the
 * fused actor-critic loss, backward and the RMSProp step — at a batch size B, on the GPU
 * (the recorded plan replayed, timed with timestamp queries where the adapter has them) and
 * on the CPU twins. The nets are the A3C paper's feed-forward net on 84×84×4 u8 frames and
 * a 64-64 MLP on CartPole's 4 floats. Run: `deno task bench learner`.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { createStorageBuffer } from "../gpu/buffers.ts";
import { timePlan } from "../gpu/timing.ts";
import { actorCriticLoss, LOSS_STATS } from "../nn/actor_critic.ts";
import { recordActorCriticLoss } from "../nn/actor_critic_gpu.ts";
import {
  a3cFeedForwardNet,
  a3cLstmNet,
  mlpNet,
  type NetSpec,
  paramSpecs,
  policyOutputs,
  sizeOf,
} from "../nn/model_spec.ts";
import {
  lstmLayer,
  makeCpuActivations,
  netBackward,
  netForward,
  type Recurrence,
  viewTensors,
} from "../nn/net_cpu.ts";
import { type GpuRecurrence, recordNetBackward, recordNetForward } from "../nn/net_gpu.ts";
import { makeOptimizerState, optimizerStep } from "../nn/optim.ts";
import { setGemmBackend } from "../nn/gemm.ts";
import { recordOptimizerStep } from "../nn/optim_gpu.ts";
import { initParams, makeLayout } from "../nn/params.ts";
import type { BenchRow } from "./row.ts";

/** Time steps of a recurrent net's batch: B samples are T steps of B/T sequences. */
export const LSTM_T = 4;

/** The nets measured, by name. */
export const LEARNER_NETS: Readonly<Record<string, NetSpec>> = {
  "a3c-ff 84x84x4": a3cFeedForwardNet([4, 84, 84], 6, "u8"),
  [`a3c-lstm 1x42x42 T=${LSTM_T}`]: a3cLstmNet([1, 42, 42], 6, "u8"),
  "mlp 64-64": mlpNet(4, { kind: "categorical", actions: 2 }, [64, 64]),
};

/** Episode starts of a recurrent batch: every fifth sequence starts an episode at step 1. */
function resetFlags(B: number): Uint32Array {
  const S = B / LSTM_T;
  return Uint32Array.from({ length: B }, (_, i) => (i >= S && i < 2 * S && i % 5 === 0) ? 1 : 0);
}

const OPTIMIZER = { kind: "rmsprop", lr: 7e-4, alpha: 0.99, eps: 1e-5, maxGradNorm: 0.5 } as const;

function batchData(net: NetSpec, B: number) {
  const A = policyOutputs(net.head);
  const size = B * sizeOf(net.input.shape);
  const obs = net.input.dtype === "u8"
    ? Uint8Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24)
    : Float32Array.from({ length: size }, (_, i) => Math.sin(i));
  return {
    A,
    obs,
    actions: Int32Array.from({ length: B }, (_, i) => i % A),
    advantages: Float32Array.from({ length: B }, (_, i) => Math.cos(i)),
    returns: Float32Array.from({ length: B }, (_, i) => Math.sin(3 * i)),
  };
}

async function gpuSamplesPerSecond(gpu: Gpu, net: NetSpec, B: number, repeats: number) {
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = { buffer: createStorageBuffer(gpu, initParams(layout, 1), "params"), offsets };
  const grads = { buffer: createStorageBuffer(gpu, layout.size * 4, "grads"), offsets };
  const d = batchData(net, B);
  const obs = createStorageBuffer(gpu, d.obs, "obs");
  const H = lstmLayer(net)?.hidden ?? 0;
  const rec: GpuRecurrence | undefined = H
    ? {
      T: LSTM_T,
      starts: createStorageBuffer(gpu, resetFlags(B), "starts"),
      h0: createStorageBuffer(gpu, (B / LSTM_T) * H * 4, "h0"),
      c0: createStorageBuffer(gpu, (B / LSTM_T) * H * 4, "c0"),
    }
    : undefined;
  const fwd = await recordNetForward(gpu, net, params, obs, B, rec);
  const dLogits = createStorageBuffer(gpu, B * d.A * 4, "dLogits");
  const dValues = createStorageBuffer(gpu, B * 4, "dValues");
  const loss = await recordActorCriticLoss(
    gpu,
    {
      logits: fwd.policy,
      values: fwd.value,
      actions: createStorageBuffer(gpu, d.actions, "actions"),
      advantages: createStorageBuffer(gpu, d.advantages, "advantages"),
      returns: createStorageBuffer(gpu, d.returns, "returns"),
      dLogits,
      dValues,
      stats: createStorageBuffer(gpu, LOSS_STATS * 4, "stats"),
    },
    B,
    d.A,
  );
  const bwd = await recordNetBackward(gpu, net, params, grads, fwd, dLogits, dValues);
  const opt = await recordOptimizerStep(gpu, OPTIMIZER, {
    params: params.buffer,
    grads: grads.buffer,
    size: layout.size,
  });
  const timing = await timePlan(
    gpu,
    [...fwd.dispatches, ...loss, ...bwd, ...opt.dispatches],
    repeats,
    1,
  );
  const recBuffers = rec ? [rec.starts, rec.h0, rec.c0] as GPUBuffer[] : [];
  for (
    const b of [...fwd.pre, ...fwd.outputs, ...fwd.gradOutputs, obs, params.buffer, ...recBuffers]
  ) {
    b.destroy();
  }
  return B / ((timing.gpuMs ?? timing.wallMs) / 1000);
}

/**
 * Samples/s of the CPU learner step (forward, loss, backward, RMSProp) of `net` at batch `B`,
 * timed for about `seconds` after a warm-up step; `twin` forces the TypeScript matmul
 * instead of the WebAssembly fast path.
 */
export function cpuLearnerSamplesPerSecond(
  net: NetSpec,
  B: number,
  seconds: number,
  twin = false,
): number {
  if (twin) setGemmBackend("ts");
  try {
    return cpuSamplesPerSecond(net, B, seconds);
  } finally {
    if (twin) setGemmBackend(undefined);
  }
}

function cpuSamplesPerSecond(net: NetSpec, B: number, seconds: number) {
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = initParams(layout, 1);
  const grads = new Float32Array(layout.size);
  const pv = viewTensors(params, offsets, net);
  const gv = viewTensors(grads, offsets, net);
  const H = lstmLayer(net)?.hidden ?? 0;
  const acts = makeCpuActivations(net, B, H ? LSTM_T : 1);
  const rec: Recurrence | undefined = H
    ? {
      T: LSTM_T,
      starts: resetFlags(B),
      h0: new Float32Array((B / LSTM_T) * H),
      c0: new Float32Array((B / LSTM_T) * H),
    }
    : undefined;
  const d = batchData(net, B);
  const dLogits = new Float32Array(B * d.A);
  const dValues = new Float32Array(B);
  const stats = new Float32Array(LOSS_STATS);
  const state = makeOptimizerState(OPTIMIZER, layout.size);
  const step = () => {
    netForward(net, pv, d.obs, acts, rec);
    actorCriticLoss({ ...d, logits: acts.policy, values: acts.value, dLogits, dValues, stats, B });
    netBackward(net, pv, gv, d.obs, acts, dLogits, dValues, rec);
    optimizerStep(OPTIMIZER, state, params, grads);
  };
  step(); // warm-up
  step();
  let repeats = 0;
  const t0 = performance.now();
  do {
    step();
    repeats++;
  } while (performance.now() - t0 < seconds * 1000);
  return (B * repeats) / ((performance.now() - t0) / 1000);
}

/**
 * Measures learner samples/s for each net in {@link LEARNER_NETS}: on the GPU at every batch
 * in `gpuBatches` (when `gpu` is given) and on the CPU at each of `cpuBatches` (a recurrent
 * net: those divisible by its T), with the WebAssembly fast path (rows named after the net)
 * and on the TypeScript twin (rows named "… (TS twin)"), ~`cpuSeconds` each (default 1).
 */
export async function benchLearner(
  opts: {
    gpu?: Gpu;
    gpuBatches: number[];
    cpuBatches: number[];
    repeats: number;
    cpuSeconds?: number;
  },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const seconds = opts.cpuSeconds ?? 1;
  for (const [name, net] of Object.entries(LEARNER_NETS)) {
    const unit = "samples/s";
    for (const B of opts.cpuBatches) {
      if (lstmLayer(net) && B % LSTM_T) continue;
      for (const twin of [false, true]) {
        rows.push({
          group: "learner",
          name: twin ? `${name} (TS twin)` : name,
          backend: "cpu",
          shape: `B=${B}`,
          value: cpuLearnerSamplesPerSecond(net, B, seconds, twin),
          unit,
        });
      }
    }
    if (!opts.gpu) continue;
    for (const B of opts.gpuBatches) {
      const value = await gpuSamplesPerSecond(opts.gpu, net, B, opts.repeats);
      rows.push({ group: "learner", name, backend: "webgpu", shape: `B=${B}`, value, unit });
    }
  }
  return rows;
}
