/**
 * An actor-critic network on the CPU twins: forward over a batch, keeping what backward
 * needs, and backward into the flat gradient vector. Layer shapes come from the
 * {@link NetSpec}; parameters are views into one flat `Float32Array`.
 *
 * A net with an LSTM layer is recurrent: its batch of B rows is T time steps of B/T
 * sequences, time-major ([T, B/T, ...], as a rollout is stored), and forward and backward
 * take a {@link Recurrence}: the state before step 0 and the per-step reset flags. Layers
 * before the LSTM see all B rows at once; the LSTM runs T steps (truncated BPTT in backward).
 *
 * Every matrix product (linear layers, the convolutions' im2col GEMMs, the LSTM's gate
 * products) runs on `gemm` (`gemm.ts`): the WebAssembly SIMD fast path where the engine has
 * it, the twin `matmul` otherwise; the convolutions also build their patches and scatter
 * their input gradients there (`conv2dForwardWasm`, `conv2dBackwardWasm`). The layer twins
 * stay the reference.
 *
 * @module
 */

import { activationBackward, activationForward } from "./activations.ts";
import { conv2dBackward, conv2dForward, type Conv2dShape } from "./conv2d.ts";
import { conv2dBackwardWasm, conv2dForwardWasm, gemm } from "./gemm.ts";
import { linearBackward, linearForward } from "./linear.ts";
import { eluFast } from "./optim_wasm.ts";
import {
  createLstmCache,
  type LstmCache,
  lstmSequenceBackward,
  lstmSequenceForward,
  type ResetMask,
} from "./lstm.ts";
import {
  type NetSpec,
  paramSpecs,
  policyOutputs,
  type ResolvedLayer,
  resolveLayers,
  sizeOf,
} from "./model_spec.ts";
import { checkShape } from "./types.ts";

/** Named views of a flat vector (parameters or gradients) in the order of {@link paramSpecs}. */
export type TensorViews = Readonly<Record<string, Float32Array>>;

/** Views every tensor of `specs` in `flat`, given each tensor's element offset. */
export function viewTensors(
  flat: Float32Array,
  offsets: Readonly<Record<string, number>>,
  spec: NetSpec,
): TensorViews {
  const views: Record<string, Float32Array> = {};
  for (const p of paramSpecs(spec)) {
    const offset = offsets[p.name];
    if (offset === undefined) throw new RangeError(`net: no offset for parameter ${p.name}`);
    views[p.name] = flat.subarray(offset, offset + sizeOf(p.shape));
  }
  return views;
}

/** The conv2d kernel shape of a resolved conv layer at a batch size. */
export function convShape(layer: ResolvedLayer, batch: number): Conv2dShape {
  if (layer.kind !== "conv2d") throw new Error(`layer ${layer.index} is not a conv2d`);
  const [c, h, w] = layer.inShape;
  return {
    batch,
    inChannels: c,
    inHeight: h,
    inWidth: w,
    outChannels: layer.outChannels,
    kernelH: layer.kernel,
    kernelW: layer.kernel,
    stride: layer.stride,
    padding: layer.padding ?? 0,
  };
}

/** The recurrent inputs of a forward/backward pass of a net with an LSTM layer. */
export interface Recurrence {
  /** Time steps T of the batch: B = T × (number of sequences). */
  readonly T: number;
  /** Reset flags [T, B/T]: nonzero where an episode starts (the state is zeroed first). */
  readonly starts: ResetMask;
  /** Hidden state before step 0, [B/T, H]. */
  readonly h0: Float32Array;
  /** Cell state before step 0, [B/T, H]. */
  readonly c0: Float32Array;
  /** Receives the hidden state after step T−1, [B/T, H]; may be `h0` itself. */
  readonly hT?: Float32Array;
  /** Receives the cell state after step T−1, [B/T, H]; may be `c0` itself. */
  readonly cT?: Float32Array;
}

/** The LSTM layer of `spec`, if any (at most one is allowed). */
export function lstmLayer(spec: NetSpec): (ResolvedLayer & { kind: "lstm" }) | undefined {
  return resolveLayers(spec).find((l): l is ResolvedLayer & { kind: "lstm" } => l.kind === "lstm");
}

function checkRecurrence(where: string, spec: NetSpec, B: number, rec?: Recurrence): void {
  const lstm = lstmLayer(spec);
  if (!lstm) return;
  if (!rec) {
    throw new RangeError(
      `${where}: layer ${lstm.index} is an LSTM; pass its recurrent state (T, starts, h0, c0)`,
    );
  }
  if (!Number.isInteger(rec.T) || rec.T < 1 || B % rec.T !== 0) {
    throw new RangeError(`${where}: T = ${rec.T} must be a positive integer dividing B = ${B}`);
  }
  const S = B / rec.T;
  checkShape(where, "starts", rec.starts.length, [rec.T, S]);
  for (const name of ["h0", "c0", "hT", "cT"] as const) {
    const a = rec[name];
    if (a) checkShape(where, name, a.length, [S, lstm.hidden]);
  }
}

/** Per-batch buffers of a forward pass, reused across calls of the same batch size. */
export interface CpuActivations {
  /** Batch size B these buffers hold. */
  readonly batch: number;
  /** Output of each body layer after its activation, [B, outSize]. */
  readonly outputs: Float32Array[];
  /** Gradient buffers of each body layer's output, [B, outSize]. */
  readonly gradOutputs: Float32Array[];
  /** Policy outputs (logits, or Gaussian means), [B, A]. */
  readonly policy: Float32Array;
  /** State values, [B]. */
  readonly value: Float32Array;
  /** Time steps T of a recurrent batch (1 for a feed-forward net). */
  readonly T: number;
  /** The LSTM layer's saved activations for backward (recurrent nets only). */
  readonly lstmCache?: LstmCache;
}

/**
 * Allocates the forward/backward buffers of `spec` for batch size `batch`; for a recurrent
 * net, `T` time steps of batch/T sequences.
 */
export function makeCpuActivations(spec: NetSpec, batch: number, T = 1): CpuActivations {
  const layers = resolveLayers(spec);
  const lstm = lstmLayer(spec);
  if (lstm && (!Number.isInteger(T) || T < 1 || batch % T !== 0)) {
    throw new RangeError(`net_cpu: T = ${T} must be a positive integer dividing B = ${batch}`);
  }
  return {
    batch,
    T,
    lstmCache: lstm ? createLstmCache({ T, B: batch / T, H: lstm.hidden }) : undefined,
    outputs: layers.map((l) => new Float32Array(batch * sizeOf(l.outShape))),
    gradOutputs: layers.map((l) => new Float32Array(batch * sizeOf(l.outShape))),
    policy: new Float32Array(batch * policyOutputs(spec.head)),
    value: new Float32Array(batch),
  };
}

/**
 * Forward pass over `acts.batch` observations `obs` ([B, ...input], f32 or u8 pixels read as
 * value/255): fills every layer output, `acts.policy` and `acts.value`. A recurrent net needs
 * `rec` (see {@link Recurrence}) and writes its final state into `rec.hT`, `rec.cT`.
 * Arguments: `(spec, params, obs, acts, rec?)`, as {@link netForwardLayers}.
 */
export function netForward(...args: Parameters<typeof netForwardLayers>): void {
  for (const _ of netForwardLayers(...args));
}

/**
 * {@link netForward} one layer at a time: yields after each body layer, so a caller can give
 * the event loop a turn inside a large batch (Ctrl-C within a second on the CPU backend).
 */
export function* netForwardLayers(
  spec: NetSpec,
  params: TensorViews,
  obs: Float32Array | Uint8Array,
  acts: CpuActivations,
  rec?: Recurrence,
): Generator<void, void, void> {
  const B = acts.batch;
  checkShape("net.forward", "obs", obs.length, [B, ...spec.input.shape]);
  checkRecurrence("net.forward", spec, B, rec);
  const layers = resolveLayers(spec);
  let x: Float32Array | Uint8Array = obs;
  for (const layer of layers) {
    const y = acts.outputs[layer.index];
    const w = params[`layer${layer.index}.weight`];
    const b = params[`layer${layer.index}.bias`];
    if (layer.kind === "conv2d") {
      const cs = convShape(layer, B);
      if (!conv2dForwardWasm(cs, { x, w, b, y })) {
        conv2dForward(cs, { x, w, b, y, matmul: gemm });
      }
    } else if (layer.kind === "linear") {
      linearForward({
        x: asFloats(x),
        w,
        b,
        y,
        batch: B,
        inFeatures: layer.inShape[0],
        outFeatures: layer.outFeatures,
        matmul: gemm,
      });
    } else {
      const p = `layer${layer.index}`;
      const T = rec!.T;
      lstmSequenceForward({
        params: { wIh: params[`${p}.wIh`], wHh: params[`${p}.wHh`], b: params[`${p}.bias`] },
        x: asFloats(x),
        starts: rec!.starts,
        h0: rec!.h0,
        c0: rec!.c0,
        T,
        B: B / T,
        I: layer.inShape[0],
        H: layer.hidden,
        cache: acts.lstmCache!,
        hs: y,
        hT: rec!.hT,
        cT: rec!.cT,
        matmul: gemm,
      });
    }
    if (layer.kind !== "lstm" && !(layer.activation === "elu" && eluFast(y, y))) {
      activationForward({ act: layer.activation, x: y, y });
    }
    x = y;
    yield;
  }
  const features = asFloats(x);
  const F = layers.length ? sizeOf(layers[layers.length - 1].outShape) : sizeOf(spec.input.shape);
  const A = policyOutputs(spec.head);
  const { policy, value } = acts;
  linearForward({
    x: features,
    w: params["policy.weight"],
    b: params["policy.bias"],
    y: policy,
    batch: B,
    inFeatures: F,
    outFeatures: A,
    matmul: gemm,
  });
  linearForward({
    x: features,
    w: params["value.weight"],
    b: params["value.bias"],
    y: value,
    batch: B,
    inFeatures: F,
    outFeatures: 1,
    matmul: gemm,
  });
}

function asFloats(x: Float32Array | Uint8Array): Float32Array {
  if (x instanceof Uint8Array) {
    // Only reachable for a linear first layer on pixels: scale like the conv's u8 path.
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] / 255;
    return out;
  }
  return x;
}

/**
 * Backward pass after {@link netForward} on the same `obs` and `acts` (and the same `rec`
 * for a recurrent net: truncated BPTT over its T steps, no gradient into h0, c0): given the
 * gradients of the loss with respect to the policy outputs `dPolicy` [B, A] and values
 * `dValue` [B], writes the gradient of every parameter into `grads` (overwriting it).
 * Arguments: `(spec, params, grads, obs, acts, dPolicy, dValue, rec?)`, as
 * {@link netBackwardLayers}.
 */
export function netBackward(...args: Parameters<typeof netBackwardLayers>): void {
  for (const _ of netBackwardLayers(...args));
}

/** {@link netBackward} one layer at a time: yields after the heads and after each body layer. */
export function* netBackwardLayers(
  spec: NetSpec,
  params: TensorViews,
  grads: TensorViews,
  obs: Float32Array | Uint8Array,
  acts: CpuActivations,
  dPolicy: Float32Array,
  dValue: Float32Array,
  rec?: Recurrence,
): Generator<void, void, void> {
  const B = acts.batch;
  checkRecurrence("net.backward", spec, B, rec);
  const layers = resolveLayers(spec);
  const A = policyOutputs(spec.head);
  checkShape("net.backward", "dPolicy", dPolicy.length, [B, A]);
  checkShape("net.backward", "dValue", dValue.length, [B]);
  for (const g of Object.values(grads)) g.fill(0);
  const last = layers.length - 1;
  const features = last >= 0 ? acts.outputs[last] : asFloats(obs);
  const F = last >= 0 ? sizeOf(layers[last].outShape) : sizeOf(spec.input.shape);
  const dFeatures = last >= 0 ? acts.gradOutputs[last] : null;
  dFeatures?.fill(0);
  for (const [head, dy, outF] of [["policy", dPolicy, A], ["value", dValue, 1]] as const) {
    linearBackward({
      x: features,
      w: params[`${head}.weight`],
      dy,
      dx: dFeatures,
      dw: grads[`${head}.weight`],
      db: grads[`${head}.bias`],
      batch: B,
      inFeatures: F,
      outFeatures: outF,
      accumulate: true,
      matmul: gemm,
    });
  }
  yield;
  for (let i = last; i >= 0; i--) {
    const layer = layers[i];
    const y = acts.outputs[i];
    const dy = acts.gradOutputs[i];
    if (layer.kind !== "lstm") activationBackward({ act: layer.activation, y, dy, dx: dy });
    const x = i > 0 ? acts.outputs[i - 1] : obs;
    const dx = i > 0 ? acts.gradOutputs[i - 1] : null;
    const w = params[`layer${i}.weight`];
    const dw = grads[`layer${i}.weight`];
    const db = grads[`layer${i}.bias`];
    if (layer.kind === "conv2d") {
      const cs = convShape(layer, B);
      if (!conv2dBackwardWasm(cs, { x, w, dy, dx, dw, db })) {
        conv2dBackward(cs, { x, w, dy, dx, dw, db, matmul: gemm });
      }
    } else if (layer.kind === "linear") {
      linearBackward({
        x: asFloats(x),
        w,
        dy,
        dx,
        dw,
        db,
        batch: B,
        inFeatures: layer.inShape[0],
        outFeatures: layer.outFeatures,
        matmul: gemm,
      });
    } else {
      const p = `layer${i}`;
      const T = rec!.T;
      const I = layer.inShape[0];
      lstmSequenceBackward({
        params: { wIh: params[`${p}.wIh`], wHh: params[`${p}.wHh`], b: params[`${p}.bias`] },
        x: asFloats(x),
        starts: rec!.starts,
        cache: acts.lstmCache!,
        dhs: dy,
        T,
        B: B / T,
        I,
        H: layer.hidden,
        grads: { dwIh: grads[`${p}.wIh`], dwHh: grads[`${p}.wHh`], db: grads[`${p}.bias`] },
        dx: dx ?? new Float32Array(B * I),
        matmul: gemm,
      });
    }
    yield;
  }
}
