/**
 * An actor-critic network on the GPU: the recorder twin of `net_cpu.ts`. Forward
 * and backward over a batch are recorded once as dispatch lists (static plans) that read the
 * parameters from one flat buffer and write the gradients into another in the same layout.
 *
 * Per body layer i the recorder allocates three buffers of [B, outSize] floats:
 * `pre[i]` (the layer's output before its activation; reused for the gradient before the
 * activation during backward), `outputs[i]` (after the activation) and `gradOutputs[i]`
 * (the gradient of the loss with respect to `outputs[i]`). Inputs and outputs of one kernel
 * never share a buffer (WebGPU refuses a writable binding that aliases another binding).
 *
 * A net with an LSTM layer is recurrent, as in `net_cpu.ts`: its batch is T time steps of
 * B/T sequences, time-major, and the recorders take a {@link GpuRecurrence} with the state
 * before step 0 and the reset flags (buffers, so a plan replays with fresh values).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { type BufferRange, createStorageBuffer } from "../gpu/buffers.ts";
import { recordCopy } from "../gpu/copy.ts";
import type { Dispatch } from "../gpu/plan.ts";
import { recordActivationBackward, recordActivationForward } from "./activations_gpu.ts";
import { recordConv2dBackward, recordConv2dForward } from "./conv2d_gpu.ts";
import { recordLinearBackward, recordLinearForward, recordMatmul } from "./linear_gpu.ts";
import {
  createLstmGpuCache,
  type LstmGpuCache,
  recordLstmSequenceBackward,
  recordLstmSequenceForward,
} from "./lstm_gpu.ts";
import {
  type NetSpec,
  paramSpecs,
  policyOutputs,
  type ResolvedLayer,
  resolveLayers,
  sizeOf,
} from "./model_spec.ts";
import { convShape, lstmLayer } from "./net_cpu.ts";

/** The recurrent inputs of a recurrent net's passes (see `Recurrence` in `net_cpu.ts`). */
export interface GpuRecurrence {
  /** Time steps T of the batch: B = T × (number of sequences S). */
  readonly T: number;
  /** Reset flags, u32 [T, S]: nonzero where an episode starts. */
  readonly starts: BufferRange;
  /** Hidden state before step 0, f32 [S, H]. */
  readonly h0: BufferRange;
  /** Cell state before step 0, f32 [S, H]. */
  readonly c0: BufferRange;
  /** Receives the hidden state after step T−1, [S, H]; may be `h0` itself. */
  readonly hT?: BufferRange;
  /** Receives the cell state after step T−1, [S, H]; may be `c0` itself. */
  readonly cT?: BufferRange;
}

/** A flat vector of named tensors on the GPU: parameters, or gradients in the same layout. */
export interface GpuTensors {
  /** The flat buffer, f32. */
  readonly buffer: GPUBuffer;
  /** Element offset of each named tensor (multiples of 64 floats: 256-byte aligned). */
  readonly offsets: Readonly<Record<string, number>>;
}

/** What {@link recordNetForward} made. */
export interface GpuNetForward {
  /** Batch size B. */
  readonly batch: number;
  /** The observations read, [B, ...input] (f32, or u8 packed 4 to a u32). */
  readonly input: BufferRange;
  /** Per body layer, the output before the activation, f32 [B, outSize]. */
  readonly pre: readonly GPUBuffer[];
  /** Per body layer, the output after the activation, f32 [B, outSize]. */
  readonly outputs: readonly GPUBuffer[];
  /** Per body layer, the gradient with respect to `outputs`, f32 [B, outSize]. */
  readonly gradOutputs: readonly GPUBuffer[];
  /** Policy outputs (logits or Gaussian means), f32 [B, A]. */
  readonly policy: GPUBuffer;
  /** State values, f32 [B]. */
  readonly value: GPUBuffer;
  /** The forward dispatches, in order. */
  readonly dispatches: Dispatch[];
  /** The recurrence the forward was recorded with (recurrent nets). */
  readonly recurrence?: GpuRecurrence;
  /** The LSTM layer's saved activations for backward (recurrent nets). */
  readonly lstmCache?: LstmGpuCache;
}

/** The range of tensor `name` of `spec` inside `tensors`. */
function tensorRange(tensors: GpuTensors, spec: NetSpec, name: string): BufferRange {
  const p = paramSpecs(spec).find((t) => t.name === name);
  const offset = tensors.offsets[name];
  if (!p || offset === undefined) throw new RangeError(`net_gpu: no tensor named ${name}`);
  return { buffer: tensors.buffer, offset: offset * 4, size: sizeOf(p.shape) * 4 };
}

function checkSupported(
  spec: NetSpec,
  layers: ResolvedLayer[],
  batch: number,
  rec?: GpuRecurrence,
): void {
  const lstm = lstmLayer(spec);
  if (lstm && !rec) {
    throw new RangeError(
      `net_gpu: layer ${lstm.index} is an LSTM; pass its recurrent state (T, starts, h0, c0)`,
    );
  }
  if (lstm && rec && (!Number.isInteger(rec.T) || rec.T < 1 || batch % rec.T !== 0)) {
    throw new RangeError(`net_gpu: T = ${rec.T} must be a positive integer dividing B = ${batch}`);
  }
  if (spec.input.dtype === "u8" && layers[0]?.kind !== "conv2d") {
    throw new RangeError(
      "net_gpu: u8 pixel observations need a conv2d first layer (got " +
        `${layers[0]?.kind ?? "no layer"}); use net ff`,
    );
  }
}

/**
 * Records the forward pass of `spec` over `batch` observations `input` with parameters
 * `params`: every body layer, its activation, then the policy and value heads. Allocates the
 * activation buffers (see the module doc).
 */
export async function recordNetForward(
  gpu: Gpu,
  spec: NetSpec,
  params: GpuTensors,
  input: BufferRange,
  batch: number,
  rec?: GpuRecurrence,
): Promise<GpuNetForward> {
  const layers = resolveLayers(spec);
  checkSupported(spec, layers, batch, rec);
  const B = batch;
  const alloc = (floats: number, label: string) => createStorageBuffer(gpu, floats * 4, label);
  const pre = layers.map((l) => alloc(B * sizeOf(l.outShape), `net layer${l.index} pre`));
  const outputs = layers.map((l) => alloc(B * sizeOf(l.outShape), `net layer${l.index} out`));
  const gradOutputs = layers.map((l) => alloc(B * sizeOf(l.outShape), `net layer${l.index} grad`));
  const A = policyOutputs(spec.head);
  const policy = alloc(B * A, "net policy");
  const value = alloc(B, "net value");
  const dispatches: Dispatch[] = [];
  let lstmCache: LstmGpuCache | undefined;
  let x: BufferRange = input;
  for (const layer of layers) {
    const i = layer.index;
    if (layer.kind === "lstm") {
      const T = rec!.T;
      lstmCache = createLstmGpuCache(gpu, {
        T,
        B: B / T,
        H: layer.hidden,
        label: `net layer${i} lstm cache`,
      });
      dispatches.push(
        ...await recordLstmSequenceForward(gpu, {
          params: lstmRanges(params, spec, i),
          x,
          starts: rec!.starts,
          h0: rec!.h0,
          c0: rec!.c0,
          T,
          B: B / T,
          I: layer.inShape[0],
          H: layer.hidden,
          cache: lstmCache,
          hs: outputs[i],
          hT: rec!.hT,
          cT: rec!.cT,
        }),
      );
      x = outputs[i];
      continue;
    }
    const w = tensorRange(params, spec, `layer${i}.weight`);
    const b = tensorRange(params, spec, `layer${i}.bias`);
    if (layer.kind === "conv2d") {
      dispatches.push(
        ...await recordConv2dForward(gpu, convShape(layer, B), {
          x,
          w,
          b,
          y: pre[i],
          inputU8: i === 0 && spec.input.dtype === "u8",
        }),
      );
    } else if (layer.kind === "linear") {
      dispatches.push(
        ...await recordLinearForward(gpu, {
          x,
          w,
          b,
          y: pre[i],
          batch: B,
          inFeatures: layer.inShape[0],
          outFeatures: layer.outFeatures,
        }),
      );
    }
    const n = B * sizeOf(layer.outShape);
    dispatches.push(
      await recordActivationForward(gpu, { act: layer.activation, x: pre[i], y: outputs[i], n }),
    );
    x = outputs[i];
  }
  const F = layers.length ? sizeOf(layers[layers.length - 1].outShape) : sizeOf(spec.input.shape);
  for (const [head, y, outF] of [["policy", policy, A], ["value", value, 1]] as const) {
    dispatches.push(
      ...await recordLinearForward(gpu, {
        x,
        w: tensorRange(params, spec, `${head}.weight`),
        b: tensorRange(params, spec, `${head}.bias`),
        y,
        batch: B,
        inFeatures: F,
        outFeatures: outF,
      }),
    );
  }
  return {
    batch: B,
    input,
    pre,
    outputs,
    gradOutputs,
    policy,
    value,
    dispatches,
    recurrence: rec,
    lstmCache,
  };
}

function lstmRanges(tensors: GpuTensors, spec: NetSpec, i: number) {
  return {
    wIh: tensorRange(tensors, spec, `layer${i}.wIh`),
    wHh: tensorRange(tensors, spec, `layer${i}.wHh`),
    b: tensorRange(tensors, spec, `layer${i}.bias`),
  };
}

const zeroBuffers = new WeakMap<GPUDevice, GPUBuffer>();

/** Records range = 0 (copies from a shared buffer of zeros). */
async function recordZero(gpu: Gpu, range: BufferRange): Promise<Dispatch> {
  const buffer = range instanceof GPUBuffer ? range : range.buffer;
  const offset = range instanceof GPUBuffer ? 0 : range.offset ?? 0;
  const size = range instanceof GPUBuffer ? range.size : range.size ?? buffer.size - offset;
  let zeros = zeroBuffers.get(gpu.device);
  if (!zeros || zeros.size < size) {
    zeros = createStorageBuffer(gpu, Math.max(size, 1 << 16), "zeros");
    zeroBuffers.set(gpu.device, zeros);
  }
  return await recordCopy(gpu, zeros, buffer, size / 4, 0, offset / 4);
}

/**
 * Records the backward pass after `fwd` (same params and input): from the gradients of the
 * loss with respect to the policy outputs `dPolicy` [B, A] and the values `dValue` [B],
 * writes every parameter's gradient into `grads` (overwriting; padding stays untouched).
 */
export async function recordNetBackward(
  gpu: Gpu,
  spec: NetSpec,
  params: GpuTensors,
  grads: GpuTensors,
  fwd: GpuNetForward,
  dPolicy: BufferRange,
  dValue: BufferRange,
): Promise<Dispatch[]> {
  const layers = resolveLayers(spec);
  const B = fwd.batch;
  const rec = fwd.recurrence;
  checkSupported(spec, layers, B, rec);
  const A = policyOutputs(spec.head);
  const last = layers.length - 1;
  const features = last >= 0 ? fwd.outputs[last] : fwd.input;
  const F = last >= 0 ? sizeOf(layers[last].outShape) : sizeOf(spec.input.shape);
  const dFeatures = last >= 0 ? fwd.gradOutputs[last] : undefined;
  const out: Dispatch[] = [];
  // Heads: dFeatures = dPolicy·Wp + dValue·Wv, and their weight and bias gradients.
  out.push(
    ...await recordLinearBackward(gpu, {
      x: features,
      w: tensorRange(params, spec, "policy.weight"),
      dy: dPolicy,
      dx: dFeatures,
      dw: tensorRange(grads, spec, "policy.weight"),
      db: tensorRange(grads, spec, "policy.bias"),
      batch: B,
      inFeatures: F,
      outFeatures: A,
    }),
    ...await recordLinearBackward(gpu, {
      x: features,
      w: tensorRange(params, spec, "value.weight"),
      dy: dValue,
      dw: tensorRange(grads, spec, "value.weight"),
      db: tensorRange(grads, spec, "value.bias"),
      batch: B,
      inFeatures: F,
      outFeatures: 1,
    }),
  );
  if (dFeatures) {
    out.push(
      ...await recordMatmul(gpu, {
        a: dValue,
        b: tensorRange(params, spec, "value.weight"),
        c: dFeatures,
        m: B,
        n: F,
        k: 1,
        accumulate: true,
      }),
    );
  }
  for (let i = last; i >= 0; i--) {
    const layer = layers[i];
    const x = i > 0 ? fwd.outputs[i - 1] : fwd.input;
    if (layer.kind === "lstm") {
      // The LSTM backward adds into its weight gradients: zero them first.
      const g = lstmRanges(grads, spec, i);
      for (const range of [g.wIh, g.wHh, g.b]) out.push(await recordZero(gpu, range));
      const I = layer.inShape[0];
      const T = rec!.T;
      out.push(
        ...await recordLstmSequenceBackward(gpu, {
          params: lstmRanges(params, spec, i),
          x,
          starts: rec!.starts,
          cache: fwd.lstmCache!,
          dhs: fwd.gradOutputs[i],
          T,
          B: B / T,
          I,
          H: layer.hidden,
          grads: { dwIh: g.wIh, dwHh: g.wHh, db: g.b },
          dx: i > 0 ? fwd.gradOutputs[i - 1] : createStorageBuffer(gpu, B * I * 4, "net dx"),
        }),
      );
      continue;
    }
    const n = B * sizeOf(layer.outShape);
    // The gradient before the activation goes into pre[i] (its forward value is not needed).
    const dPre = fwd.pre[i];
    out.push(
      await recordActivationBackward(gpu, {
        act: layer.activation,
        y: fwd.outputs[i],
        dy: fwd.gradOutputs[i],
        dx: dPre,
        n,
      }),
    );
    const dx = i > 0 ? fwd.gradOutputs[i - 1] : undefined;
    const w = tensorRange(params, spec, `layer${i}.weight`);
    const dw = tensorRange(grads, spec, `layer${i}.weight`);
    const db = tensorRange(grads, spec, `layer${i}.bias`);
    if (layer.kind === "conv2d") {
      out.push(
        ...await recordConv2dBackward(gpu, convShape(layer, B), {
          x,
          w,
          dy: dPre,
          dx,
          dw,
          db,
          inputU8: i === 0 && spec.input.dtype === "u8",
        }),
      );
    } else {
      out.push(
        ...await recordLinearBackward(gpu, {
          x,
          w,
          dy: dPre,
          dx,
          dw,
          db,
          batch: B,
          inFeatures: layer.inShape[0],
          outFeatures: layer.outFeatures,
        }),
      );
    }
  }
  return out;
}
