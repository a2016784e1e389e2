/**
 * The flat parameter store (docs/architecture.md): every parameter of a model in one
 * `Float32Array` (CPU) or one `GPUBuffer` (GPU), described by a {@link ParamLayout}, a
 * manifest of named tensors with shape and element offset.
 *
 * Every offset is a multiple of {@link PARAM_ALIGN} = 64 floats (256 bytes, the strictest
 * `minStorageBufferOffsetAlignment` WebGPU allows), so one tensor can be bound to a shader
 * as a byte range of the flat buffer ({@link tensorRange}). Gradients and optimizer state
 * use the same layout: the gradient of tensor `name` is `tensorView(layout, grads, name)`.
 * Padding between tensors is zero after {@link initParams} and has zero gradient, so it
 * never moves.
 *
 * ```ts
 * const layout = makeLayout([
 *   { name: "fc.weight", shape: [256, 512], fanIn: 512 },
 *   { name: "fc.bias", shape: [256], fanIn: 512 },
 * ]);
 * const params = initParams(layout, 1); // Float32Array [layout.size]
 * const w = tensorView(layout, params, "fc.weight"); // [256, 512], shares memory
 * ```
 *
 * @module
 */

import { makeRng } from "../util/rng.ts";
import type { Floats } from "./types.ts";

/** Alignment of every tensor offset, in floats: 64 floats = 256 bytes. */
export const PARAM_ALIGN = 64;

/** A tensor to place in a layout: name, shape, fan-in and optional init overrides. */
export interface TensorSpec {
  /** Unique non-empty name, e.g. "layer0.weight". */
  readonly name: string;
  /** Shape, PyTorch's convention for weights ([out, in], [out, in, k, k]); positive integers. */
  readonly shape: readonly number[];
  /** Inputs feeding one output; the default init draws from ±1/√fanIn. A positive number. */
  readonly fanIn: number;
  /**
   * Multiplier of the init bound (e.g. 0.01 for a policy output layer; 0 gives zeros).
   * A finite number ≥ 0; default 1.
   */
  readonly initScale?: number;
  /** Initialise to zeros (e.g. biases when asked for); default false. */
  readonly zero?: boolean;
  /**
   * Gain of the orthogonal initialisation ({@link initParamsOrthogonal}): √2 for a ReLU layer
   * (the default), 1 for the LSTM and the value layer, 0.01 for the policy layer.
   */
  readonly gain?: number;
}

/** A placed tensor: its spec plus element offset and length in the flat vector. */
export interface PlacedTensor extends TensorSpec {
  /** Element offset in the flat vector, a multiple of {@link PARAM_ALIGN}. */
  readonly offset: number;
  /** Elements: the product of the shape. */
  readonly length: number;
}

/** Where every tensor lives in the flat vector, and the vector's size. */
export interface ParamLayout {
  /** Tensors in the order given to {@link makeLayout}, at increasing offsets. */
  readonly tensors: readonly PlacedTensor[];
  /** Floats in the flat vector, padding included: a multiple of {@link PARAM_ALIGN}, ≥ 64. */
  readonly size: number;
}

/**
 * A named tensor of 32-bit floats with its own data, as stored in a checkpoint (see
 * `safetensors.ts`).
 */
export interface NamedTensor {
  /** Name, unique in a checkpoint; "__metadata__" is reserved. */
  readonly name: string;
  /** Shape; non-negative integers, `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Row-major values; `shapeSize(shape)` of them. */
  readonly data: Float32Array;
}

/** The product of a shape's dimensions (1 for the empty shape of a scalar). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Places `specs` in order, each at the next multiple of {@link PARAM_ALIGN} floats. Throws a
 * RangeError naming the tensor for a duplicate or empty name, a shape that is not a non-empty
 * list of positive integers, a fan-in that is not a positive number, or a bad init scale.
 */
export function makeLayout(specs: readonly TensorSpec[]): ParamLayout {
  const seen = new Set<string>();
  const tensors: PlacedTensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    const name = spec.name;
    if (typeof name !== "string" || name.length === 0) {
      throw new RangeError(`params: tensor names must be non-empty strings, got ${String(name)}`);
    }
    if (seen.has(name)) throw new RangeError(`params: duplicate tensor name "${name}"`);
    seen.add(name);
    if (
      !Array.isArray(spec.shape) || spec.shape.length === 0 ||
      spec.shape.some((d) => !Number.isInteger(d) || d < 1)
    ) {
      throw new RangeError(
        `params: tensor "${name}" has shape ${describeShape(spec.shape ?? [])}; ` +
          "the shape must be a non-empty list of positive integers",
      );
    }
    if (!(typeof spec.fanIn === "number" && spec.fanIn > 0 && Number.isFinite(spec.fanIn))) {
      throw new RangeError(
        `params: tensor "${name}" has fanIn ${spec.fanIn}; allowed: a finite number > 0`,
      );
    }
    if (
      spec.initScale !== undefined &&
      !(typeof spec.initScale === "number" && spec.initScale >= 0 &&
        Number.isFinite(spec.initScale))
    ) {
      throw new RangeError(
        `params: tensor "${name}" has initScale ${spec.initScale}; allowed: a finite number >= 0`,
      );
    }
    const length = shapeSize(spec.shape);
    tensors.push({ ...spec, shape: [...spec.shape], offset, length });
    offset += Math.ceil(length / PARAM_ALIGN) * PARAM_ALIGN;
  }
  return { tensors, size: Math.max(offset, PARAM_ALIGN) };
}

/** The placed tensor called `name`; throws a RangeError listing the layout's names if none. */
export function findTensor(layout: ParamLayout, name: string): PlacedTensor {
  const t = layout.tensors.find((x) => x.name === name);
  if (!t) {
    throw new RangeError(
      `params: no tensor "${name}"; the layout has ${layout.tensors.map((x) => x.name).join(", ")}`,
    );
  }
  return t;
}

/** Parameters that are real (the sum of tensor lengths, padding excluded). */
export function countParams(layout: ParamLayout): number {
  return layout.tensors.reduce((s, t) => s + t.length, 0);
}

/**
 * A zeroed flat vector of `layout.size` floats; with `shared`, over a `SharedArrayBuffer` so
 * that A3C workers can update it in place (Hogwild).
 */
export function makeFlat(layout: ParamLayout, shared = false): Float32Array {
  return shared
    ? new Float32Array(new SharedArrayBuffer(layout.size * 4))
    : new Float32Array(layout.size);
}

function checkFlat(layout: ParamLayout, what: string, length: number): void {
  if (length !== layout.size) {
    throw new RangeError(
      `params: ${what} has ${length} floats, the layout needs ${layout.size}`,
    );
  }
}

/**
 * A view of tensor `name` (its `length` elements, row-major in its shape) in the flat vector
 * `flat` [layout.size]; shares memory with `flat`.
 */
export function tensorView<T extends Floats>(layout: ParamLayout, flat: T, name: string): T {
  checkFlat(layout, "the flat vector", flat.length);
  const t = findTensor(layout, name);
  return flat.subarray(t.offset, t.offset + t.length) as T;
}

/**
 * The byte range of tensor `name` in a flat GPU buffer of the layout, for binding a single
 * tensor to a shader (a `BufferRange` of `src/gpu/buffers.ts`: `offset` is a multiple of 256
 * bytes, `size` is `length · 4` bytes).
 */
export function tensorRange(
  layout: ParamLayout,
  buffer: GPUBuffer,
  name: string,
): { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number } {
  const t = findTensor(layout, name);
  const end = (t.offset + t.length) * 4;
  if (buffer.size < end) {
    throw new RangeError(
      `params: buffer "${buffer.label}" has ${buffer.size} bytes; tensor "${name}" ends at ` +
        `byte ${end} (the layout needs ${layout.size * 4} bytes)`,
    );
  }
  return { buffer, offset: t.offset * 4, size: t.length * 4 };
}

/**
 * Initialises parameters as PyTorch's defaults for `nn.Linear` and `nn.Conv2d` amount to:
 * uniform in ±initScale/√fanIn for weights and biases alike (zeros where `zero` is set or
 * `initScale` is 0); padding is 0. Deterministic in `seed`: tensor `i` draws from stream
 * `1000 + i` of the generator in `src/util/rng.ts`, so a tensor's values depend only on the
 * seed, its index and its spec. Writes into `out` ([layout.size], e.g. shared memory) when
 * given, and returns it.
 */
export function initParams(
  layout: ParamLayout,
  seed: number,
  out: Float32Array = new Float32Array(layout.size),
): Float32Array {
  checkFlat(layout, "out", out.length);
  out.fill(0);
  layout.tensors.forEach((t, i) => {
    if (t.zero) return;
    const bound = (t.initScale ?? 1) / Math.sqrt(t.fanIn);
    if (bound === 0) return;
    const rng = makeRng(seed, 1000 + i);
    for (let j = 0; j < t.length; j++) out[t.offset + j] = rng.uniform(-bound, bound);
  });
  return out;
}

/** Parameter initialisations: PyTorch's default uniform, or orthogonal (see the functions). */
export type InitScheme = "uniform" | "orthogonal";

/** The initialisation schemes, for validation. */
export const INIT_SCHEMES: readonly InitScheme[] = ["uniform", "orthogonal"];

/**
 * Orthogonal initialisation as the OpenAI baselines and CleanRL use for Atari: every weight of
 * two or more dimensions, viewed as [out, in·k·k], gets orthonormal rows (or columns, when it
 * has more rows than columns) times the tensor's `gain` (default √2); biases (1-D tensors)
 * and tensors with `initScale` 0 are zero. Deterministic in `seed`: tensor `i` draws its
 * Gaussian matrix from stream `2000 + i`, orthonormalised by modified Gram-Schmidt in float64.
 */
export function initParamsOrthogonal(
  layout: ParamLayout,
  seed: number,
  out: Float32Array = new Float32Array(layout.size),
): Float32Array {
  checkFlat(layout, "out", out.length);
  out.fill(0);
  layout.tensors.forEach((t, i) => {
    if (t.zero || t.initScale === 0 || t.shape.length < 2) return;
    const rows = t.shape[0];
    const cols = t.length / rows;
    const q = orthonormal(Math.min(rows, cols), Math.max(rows, cols), makeRng(seed, 2000 + i));
    const gain = t.gain ?? Math.SQRT2;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        out[t.offset + r * cols + c] = gain * (rows <= cols ? q[r][c] : q[c][r]);
      }
    }
  });
  return out;
}

/** `count` orthonormal vectors of length `size` (count ≤ size) from Gaussian draws. */
function orthonormal(count: number, size: number, rng: ReturnType<typeof makeRng>) {
  const q: Float64Array[] = [];
  while (q.length < count) {
    const v = Float64Array.from({ length: size }, () => rng.normal());
    for (const u of q) {
      let d = 0;
      for (let j = 0; j < size; j++) d += v[j] * u[j];
      for (let j = 0; j < size; j++) v[j] -= d * u[j];
    }
    let norm = 0;
    for (let j = 0; j < size; j++) norm += v[j] * v[j];
    norm = Math.sqrt(norm);
    if (norm < 1e-6) continue; // a draw (almost) in the span so far: draw again
    for (let j = 0; j < size; j++) v[j] /= norm;
    q.push(v);
  }
  return q;
}

/** Initialises parameters by `scheme` ({@link initParams} or {@link initParamsOrthogonal}). */
export function initParamsBy(
  scheme: InitScheme,
  layout: ParamLayout,
  seed: number,
  out?: Float32Array,
): Float32Array {
  return scheme === "orthogonal"
    ? initParamsOrthogonal(layout, seed, out)
    : initParams(layout, seed, out);
}
