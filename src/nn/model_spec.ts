/**
 * Network descriptions: a stack of conv / linear / LSTM layers and an actor-critic head, with
 * the shapes of every layer derived once from the input shape. Both backends build from the
 * same {@link NetSpec}; parameters are named `layer<i>.weight`, `layer<i>.bias`,
 * `policy.weight`, ..., in one flat buffer.
 *
 * @module
 */

import type { Activation } from "./activations.ts";

/** One layer of the network body. */
export type LayerSpec =
  | {
    /** 2-D convolution (NCHW), zero padding. */
    readonly kind: "conv2d";
    /** Output channels. */
    readonly outChannels: number;
    /** Square kernel size. */
    readonly kernel: number;
    /** Stride. */
    readonly stride: number;
    /** Zero padding on each side (default 0). */
    readonly padding?: number;
    /** Activation after the layer. */
    readonly activation: Activation;
  }
  | {
    /** Fully connected layer; flattens a conv output. */
    readonly kind: "linear";
    /** Output features. */
    readonly outFeatures: number;
    /** Activation after the layer. */
    readonly activation: Activation;
  }
  | {
    /** LSTM cell with per-env state (the A3C paper's recurrent agent). */
    readonly kind: "lstm";
    /** Hidden size H. */
    readonly hidden: number;
  };

/** The output head: a softmax policy over n actions, or a Gaussian over a box; plus a value. */
export type HeadSpec =
  | { readonly kind: "categorical"; readonly actions: number }
  | { readonly kind: "gaussian"; readonly actionSize: number };

/** A whole actor-critic network. */
export interface NetSpec {
  /** Observation of one env: shape ([C, H, W] for pixels, [D] for vectors) and type. */
  readonly input: { readonly shape: readonly number[]; readonly dtype: "f32" | "u8" };
  /** The body, applied in order. */
  readonly layers: readonly LayerSpec[];
  /** The policy and value head on the body's output. */
  readonly head: HeadSpec;
}

/** A layer with its derived input and output sizes (per sample). */
export type ResolvedLayer = LayerSpec & {
  /** Index in the body. */
  readonly index: number;
  /** Input shape of one sample: [C, H, W] for conv2d, [features] otherwise. */
  readonly inShape: readonly number[];
  /** Output shape of one sample. */
  readonly outShape: readonly number[];
};

/** Elements of one sample of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Derives every layer's shapes from the input, refusing a network that does not fit its
 * input (a conv on a vector, a kernel larger than the padded input, ...) with a message that
 * names the layer and the shapes.
 */
export function resolveLayers(spec: NetSpec): ResolvedLayer[] {
  const out: ResolvedLayer[] = [];
  let shape = [...spec.input.shape];
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`net input: shape [${shape.join(", ")}] must be positive integers`);
  }
  spec.layers.forEach((layer, index) => {
    const where = `net layer ${index} (${layer.kind})`;
    if (layer.kind === "conv2d") {
      if (shape.length !== 3) {
        throw new RangeError(
          `${where}: needs a [C, H, W] input, got [${shape.join(", ")}] (a conv cannot follow a ` +
            "linear or LSTM layer, and vector observations need linear layers)",
        );
      }
      const [c, h, w] = shape;
      const pad = layer.padding ?? 0;
      const oh = Math.floor((h + 2 * pad - layer.kernel) / layer.stride) + 1;
      const ow = Math.floor((w + 2 * pad - layer.kernel) / layer.stride) + 1;
      if (!(oh >= 1 && ow >= 1)) {
        throw new RangeError(
          `${where}: kernel ${layer.kernel} stride ${layer.stride} padding ${pad} does not fit ` +
            `the input [${c}, ${h}, ${w}]`,
        );
      }
      // Every input row and column must reach an output: with a stride that does not divide
      // (size + 2·padding − kernel), the last rows and columns are silently never read (the
      // 42×42 FF net's second conv once dropped the columns of the agent's own paddle).
      for (const [axis, size, o] of [["rows", h, oh], ["columns", w, ow]] as const) {
        const lastRead = (o - 1) * layer.stride - pad + layer.kernel - 1;
        if (lastRead < size - 1) {
          throw new RangeError(
            `${where}: kernel ${layer.kernel} stride ${layer.stride} padding ${pad} never reads ` +
              `input ${axis} ${lastRead + 1}..${size - 1} of [${c}, ${h}, ${w}]; padding ` +
              `${coverPadding(size, layer.kernel, layer.stride)} reads them all`,
          );
        }
      }
      const next = [layer.outChannels, oh, ow];
      out.push({ ...layer, index, inShape: shape, outShape: next });
      shape = next;
    } else if (layer.kind === "linear") {
      const next = [layer.outFeatures];
      out.push({ ...layer, index, inShape: [sizeOf(shape)], outShape: next });
      shape = next;
    } else {
      if (spec.layers.slice(index + 1).some((l) => l.kind !== "linear")) {
        throw new RangeError(`${where}: only linear layers may follow an LSTM`);
      }
      if (spec.layers.filter((l) => l.kind === "lstm").length > 1) {
        throw new RangeError(`${where}: at most one LSTM layer is supported`);
      }
      const next = [layer.hidden];
      out.push({ ...layer, index, inShape: [sizeOf(shape)], outShape: next });
      shape = next;
    }
  });
  return out;
}

/** Features the head reads (the body's output size). */
export function bodyOutputSize(spec: NetSpec): number {
  const layers = resolveLayers(spec);
  return layers.length === 0
    ? sizeOf(spec.input.shape)
    : sizeOf(layers[layers.length - 1].outShape);
}

/** Number of policy outputs per sample: action count, or the Gaussian's mean size. */
export function policyOutputs(head: HeadSpec): number {
  return head.kind === "categorical" ? head.actions : head.actionSize;
}

/**
 * The least zero padding with which a conv of `kernel` and `stride` reads the last of `size`
 * inputs (its last output's window reaches input `size − 1`).
 */
export function coverPadding(size: number, kernel: number, stride: number): number {
  for (let p = 0;; p++) {
    const outputs = Math.floor((size + 2 * p - kernel) / stride) + 1;
    if (outputs >= 1 && (outputs - 1) * stride - p + kernel - 1 >= size - 1) return p;
  }
}

/**
 * The A3C paper's feed-forward network (Mnih et al. 2016, after Mnih et al. 2013):
 * conv 16 8×8/4, conv 32 4×4/2, fc 256, all ReLU, then the policy and value heads. On an
 * input other than 84×84 the convs get the least zero padding that reads every pixel
 * ({@link coverPadding}): on 42×42, padding 1 then 0 (10×10 then 4×4 maps); without it the
 * second conv never read the right and bottom 8 pixels, where the agent's paddle is.
 */
export function a3cFeedForwardNet(
  input: readonly number[] = [4, 84, 84],
  actions = 6,
  dtype: "f32" | "u8" = "u8",
): NetSpec {
  const side = Math.max(input[1] ?? 1, input[2] ?? 1);
  const pad1 = coverPadding(side, 8, 4);
  const side1 = Math.floor((side + 2 * pad1 - 8) / 4) + 1;
  const pad2 = coverPadding(side1, 4, 2);
  return {
    input: { shape: input, dtype },
    layers: [
      { kind: "conv2d", outChannels: 16, kernel: 8, stride: 4, padding: pad1, activation: "relu" },
      { kind: "conv2d", outChannels: 32, kernel: 4, stride: 2, padding: pad2, activation: "relu" },
      { kind: "linear", outFeatures: 256, activation: "relu" },
    ],
    head: { kind: "categorical", actions },
  };
}

/**
 * The 42×42 recurrent network (the universe-starter-agent variant of A3C's LSTM agent): four
 * conv 32 3×3/2 padding 1 with ELU, an LSTM of 256, then the heads.
 */
export function a3cLstmNet(
  input: readonly number[] = [1, 42, 42],
  actions = 6,
  dtype: "f32" | "u8" = "u8",
): NetSpec {
  const conv = {
    kind: "conv2d",
    outChannels: 32,
    kernel: 3,
    stride: 2,
    padding: 1,
    activation: "elu",
  } as const;
  return {
    input: { shape: input, dtype },
    layers: [conv, conv, conv, conv, { kind: "lstm", hidden: 256 }],
    head: { kind: "categorical", actions },
  };
}

/** A multilayer perceptron for state-vector envs: tanh hidden layers (default 64, 64). */
export function mlpNet(
  inputSize: number,
  head: HeadSpec,
  hidden: readonly number[] = [64, 64],
  activation: Activation = "tanh",
): NetSpec {
  return {
    input: { shape: [inputSize], dtype: "f32" },
    layers: hidden.map((h) => ({ kind: "linear", outFeatures: h, activation })),
    head,
  };
}

/** One parameter tensor of a network: its name, shape and fan-in (for initialisation). */
export interface ParamSpec {
  /** Name, e.g. "layer0.weight", "policy.bias", "policy.logStd". */
  readonly name: string;
  /** Shape, PyTorch's convention ([out, in] for linear, [out, in, k, k] for conv2d). */
  readonly shape: readonly number[];
  /** Inputs feeding one output (initialisation bound 1/√fanIn). */
  readonly fanIn: number;
  /** Multiplier of the default initialisation bound (e.g. small for output layers). */
  readonly initScale?: number;
  /** Gain of the orthogonal initialisation (default √2, for ReLU layers). */
  readonly gain?: number;
}

/**
 * The parameter tensors of a network in a fixed order: per body layer its weights and bias
 * (LSTM: `wIh` [4H, I], `wHh` [4H, H], `bias` [4H]), then `policy.weight/bias`,
 * `value.weight/bias` and, for a Gaussian head, `policy.logStd` [D] (initialised to 0).
 * The policy layer starts small (scale 0.01) so the initial policy is near uniform, as
 * CleanRL and the OpenAI baselines do.
 */
export function paramSpecs(spec: NetSpec): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (const layer of resolveLayers(spec)) {
    const p = `layer${layer.index}`;
    if (layer.kind === "conv2d") {
      const fanIn = layer.inShape[0] * layer.kernel * layer.kernel;
      out.push({
        name: `${p}.weight`,
        shape: [layer.outChannels, layer.inShape[0], layer.kernel, layer.kernel],
        fanIn,
      });
      out.push({ name: `${p}.bias`, shape: [layer.outChannels], fanIn });
    } else if (layer.kind === "linear") {
      const fanIn = layer.inShape[0];
      out.push({ name: `${p}.weight`, shape: [layer.outFeatures, fanIn], fanIn });
      out.push({ name: `${p}.bias`, shape: [layer.outFeatures], fanIn });
    } else {
      const h = layer.hidden;
      out.push({ name: `${p}.wIh`, shape: [4 * h, layer.inShape[0]], fanIn: h, gain: 1 });
      out.push({ name: `${p}.wHh`, shape: [4 * h, h], fanIn: h, gain: 1 });
      out.push({ name: `${p}.bias`, shape: [4 * h], fanIn: h });
    }
  }
  const features = bodyOutputSize(spec);
  const outputs = policyOutputs(spec.head);
  out.push({
    name: "policy.weight",
    shape: [outputs, features],
    fanIn: features,
    initScale: 0.01,
    gain: 0.01,
  });
  out.push({ name: "policy.bias", shape: [outputs], fanIn: features, initScale: 0 });
  out.push({ name: "value.weight", shape: [1, features], fanIn: features, gain: 1 });
  out.push({ name: "value.bias", shape: [1], fanIn: features });
  if (spec.head.kind === "gaussian") {
    out.push({ name: "policy.logStd", shape: [outputs], fanIn: 1, initScale: 0 });
  }
  return out;
}
