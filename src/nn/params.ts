/**
 * The flat parameter store (DESIGN.md idea 1): every parameter of a model in one
 * `Float32Array` (CPU) or one `GPUBuffer` (GPU), with a layout of named tensors. Offsets are
 * multiples of 64 floats (256 bytes, the strictest `minStorageBufferOffsetAlignment`), so a
 * tensor can be bound as a buffer range. Gradients and optimizer state share the layout.
 *
 * @module
 */

import { makeRng } from "../util/rng.ts";

/** Floats between tensor offsets: 64 floats = 256 bytes. */
export const PARAM_ALIGN = 64;

/** A tensor to place: name, shape, fan-in (init bound 1/√fanIn) and an optional init scale. */
export interface TensorSpec {
  /** Unique name, e.g. "layer0.weight". */
  readonly name: string;
  /** Shape; PyTorch's convention for weights. */
  readonly shape: readonly number[];
  /** Inputs feeding one output. */
  readonly fanIn: number;
  /** Multiplier of the init bound (0 gives zeros). Default 1. */
  readonly initScale?: number;
}

/** A placed tensor: its spec plus element offset and length in the flat vector. */
export interface PlacedTensor extends TensorSpec {
  /** Element offset (a multiple of {@link PARAM_ALIGN}). */
  readonly offset: number;
  /** Elements, the product of the shape. */
  readonly length: number;
}

/** Where every tensor lives in the flat vector, and its total size in floats. */
export interface ParamLayout {
  /** Tensors in order. */
  readonly tensors: readonly PlacedTensor[];
  /** Floats in the flat vector (padding included). */
  readonly size: number;
}

/** Places `specs` in order at 64-float boundaries; refuses duplicate names and bad shapes. */
export function makeLayout(specs: readonly TensorSpec[]): ParamLayout {
  const seen = new Set<string>();
  const tensors: PlacedTensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new RangeError(`params: duplicate tensor name "${spec.name}"`);
    seen.add(spec.name);
    if (spec.shape.length === 0 || spec.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(
        `params: tensor "${spec.name}" has shape [${spec.shape.join(", ")}]; ` +
          "dimensions must be positive integers",
      );
    }
    const length = spec.shape.reduce((a, b) => a * b, 1);
    tensors.push({ ...spec, offset, length });
    offset += Math.ceil(length / PARAM_ALIGN) * PARAM_ALIGN;
  }
  return { tensors, size: Math.max(offset, PARAM_ALIGN) };
}

/** The placed tensor called `name`; throws listing the names when there is none. */
export function findTensor(layout: ParamLayout, name: string): PlacedTensor {
  const t = layout.tensors.find((x) => x.name === name);
  if (!t) {
    throw new RangeError(
      `params: no tensor "${name}"; have ${layout.tensors.map((x) => x.name).join(", ")}`,
    );
  }
  return t;
}

/** A view of tensor `name` in the flat vector `flat` (shares memory). */
export function tensorView(layout: ParamLayout, flat: Float32Array, name: string): Float32Array {
  const t = findTensor(layout, name);
  return flat.subarray(t.offset, t.offset + t.length);
}

/** The byte range of tensor `name` in a flat GPU buffer, for binding. */
export function tensorRange(
  layout: ParamLayout,
  buffer: GPUBuffer,
  name: string,
): { buffer: GPUBuffer; offset: number; size: number } {
  const t = findTensor(layout, name);
  return { buffer, offset: t.offset * 4, size: t.length * 4 };
}

/**
 * Initialises parameters as PyTorch's defaults for nn.Linear and nn.Conv2d: uniform in
 * ±initScale/√fanIn for weights and biases alike, from `seed` (padding stays 0).
 */
export function initParams(
  layout: ParamLayout,
  seed: number,
  out: Float32Array = new Float32Array(layout.size),
): Float32Array {
  if (out.length !== layout.size) {
    throw new RangeError(`params: out has ${out.length} floats, layout needs ${layout.size}`);
  }
  out.fill(0);
  layout.tensors.forEach((t, i) => {
    const rng = makeRng(seed, 1000 + i);
    const bound = (t.initScale ?? 1) / Math.sqrt(t.fanIn);
    for (let j = 0; j < t.length; j++) out[t.offset + j] = rng.uniform(-bound, bound);
  });
  return out;
}
