/**
 * A feed-forward actor-critic network on the GPU: the recorder twin of `net_cpu.ts`. Forward
 * and backward over a batch are recorded once as dispatch lists (static plans) that read the
 * parameters from one flat buffer and write the gradients into another in the same layout.
 *
 * Per body layer i the recorder allocates three buffers of [B, outSize] floats:
 * `pre[i]` (the layer's output before its activation; reused for the gradient before the
 * activation during backward), `outputs[i]` (after the activation) and `gradOutputs[i]`
 * (the gradient of the loss with respect to `outputs[i]`). Inputs and outputs of one kernel
 * never share a buffer (WebGPU refuses a writable binding that aliases another binding).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { type BufferRange, createStorageBuffer } from "../gpu/buffers.ts";
import type { Dispatch } from "../gpu/plan.ts";
import { recordActivationBackward, recordActivationForward } from "./activations_gpu.ts";
import { recordConv2dBackward, recordConv2dForward } from "./conv2d_gpu.ts";
import { recordLinearBackward, recordLinearForward, recordMatmul } from "./linear_gpu.ts";
import {
  type NetSpec,
  paramSpecs,
  policyOutputs,
  type ResolvedLayer,
  resolveLayers,
  sizeOf,
} from "./model_spec.ts";
import { convShape } from "./net_cpu.ts";

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
}

/** The range of tensor `name` of `spec` inside `tensors`. */
function tensorRange(tensors: GpuTensors, spec: NetSpec, name: string): BufferRange {
  const p = paramSpecs(spec).find((t) => t.name === name);
  const offset = tensors.offsets[name];
  if (!p || offset === undefined) throw new RangeError(`net_gpu: no tensor named ${name}`);
  return { buffer: tensors.buffer, offset: offset * 4, size: sizeOf(p.shape) * 4 };
}

function checkSupported(spec: NetSpec, layers: ResolvedLayer[]): void {
  for (const layer of layers) {
    if (layer.kind === "lstm") {
      throw new RangeError(
        `net_gpu: layer ${layer.index} is an LSTM; the GPU network recorder supports ` +
          "conv2d and linear layers (use net ff or mlp)",
      );
    }
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
): Promise<GpuNetForward> {
  const layers = resolveLayers(spec);
  checkSupported(spec, layers);
  const B = batch;
  const alloc = (floats: number, label: string) => createStorageBuffer(gpu, floats * 4, label);
  const pre = layers.map((l) => alloc(B * sizeOf(l.outShape), `net layer${l.index} pre`));
  const outputs = layers.map((l) => alloc(B * sizeOf(l.outShape), `net layer${l.index} out`));
  const gradOutputs = layers.map((l) => alloc(B * sizeOf(l.outShape), `net layer${l.index} grad`));
  const A = policyOutputs(spec.head);
  const policy = alloc(B * A, "net policy");
  const value = alloc(B, "net value");
  const dispatches: Dispatch[] = [];
  let x: BufferRange = input;
  for (const layer of layers) {
    const i = layer.index;
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
    if (layer.kind !== "lstm") {
      const n = B * sizeOf(layer.outShape);
      dispatches.push(await recordActivationForward(gpu, layer.activation, pre[i], outputs[i], n));
    }
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
  return { batch: B, input, pre, outputs, gradOutputs, policy, value, dispatches };
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
  checkSupported(spec, layers);
  const B = fwd.batch;
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
    if (layer.kind === "lstm") continue;
    const n = B * sizeOf(layer.outShape);
    // The gradient before the activation goes into pre[i] (its forward value is not needed).
    const dPre = fwd.pre[i];
    out.push(
      await recordActivationBackward(
        gpu,
        layer.activation,
        fwd.outputs[i],
        fwd.gradOutputs[i],
        dPre,
        n,
      ),
    );
    const x = i > 0 ? fwd.outputs[i - 1] : fwd.input;
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
