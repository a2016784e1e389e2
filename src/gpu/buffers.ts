/**
 * Buffer helpers: storage and uniform buffers with size checks against the device's limits,
 * uniform parameter packing, and readback.
 *
 * Sizes are in bytes unless a name says elements. Readback awaits GPU completion (about
 * 11 ms on Deno, see docs/architecture.md): use it in tests and at log intervals, never inside a step.
 *
 * @module
 */

import type { Gpu } from "./device.ts";

/** A whole buffer or a byte range of one, as bound to a shader. */
export type BufferRange = GPUBuffer | {
  /** The buffer. */
  readonly buffer: GPUBuffer;
  /** Start in bytes; a multiple of the device's `minStorageBufferOffsetAlignment`. */
  readonly offset?: number;
  /** Length in bytes; the rest of the buffer when absent. */
  readonly size?: number;
};

/** Usage flags of a storage buffer that can also be written, copied from and read back. */
export const STORAGE_USAGE: number = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC |
  GPUBufferUsage.COPY_DST;

/**
 * Throws a clear error when `byteLength` exceeds what one buffer or one storage binding of
 * this device can hold. `what` names the buffer (e.g. "conv2d.forward input").
 */
export function checkBufferSize(gpu: Gpu, what: string, byteLength: number): void {
  const maxBuffer = gpu.limits.maxBufferSize;
  const maxBinding = gpu.limits.maxStorageBufferBindingSize;
  if (byteLength > maxBuffer) {
    throw new RangeError(
      `${what}: ${byteLength} bytes exceeds this device's maxBufferSize of ${maxBuffer} bytes; ` +
        "use a smaller batch or split the work",
    );
  }
  if (byteLength > maxBinding) {
    throw new RangeError(
      `${what}: ${byteLength} bytes exceeds this device's maxStorageBufferBindingSize of ` +
        `${maxBinding} bytes; use a smaller batch or split the work`,
    );
  }
}

/** Element type of a tensor bound to a kernel: 4 bytes, or u8 packed 4 a u32. */
export type TensorDtype = "f32" | "i32" | "u32" | "u8";

const UNITS: Record<TensorDtype, string> = {
  f32: "floats",
  i32: "i32 elements",
  u32: "u32 elements",
  u8: "bytes (u8)",
};

/**
 * Checks that `range` can hold `shape` of `dtype` within the device's limits and that its
 * offset is a multiple of `minStorageBufferOffsetAlignment`, and returns it narrowed to
 * exactly those bytes (a u8 tensor's size must be a multiple of 4). Errors name the kernel,
 * the argument and the shape.
 */
export function bindTensor(
  gpu: Gpu,
  kernel: string,
  arg: string,
  range: BufferRange,
  shape: readonly number[],
  dtype: TensorDtype = "f32",
): BufferRange {
  const elements = shape.reduce((a, b) => a * b, 1);
  const unit = UNITS[dtype];
  const desc = `[${shape.join(", ")}] (${elements} ${unit})`;
  const u8 = dtype === "u8";
  if (u8 && elements % 4 !== 0) {
    throw new RangeError(
      `${kernel}: ${arg} of shape ${desc} holds u8 packed 4 a u32: its size must be a ` +
        "multiple of 4",
    );
  }
  const needed = u8 ? elements : elements * 4;
  checkBufferSize(gpu, `${kernel} ${arg} ${desc}`, needed);
  const buffer = range instanceof GPUBuffer ? range : range.buffer;
  const offset = range instanceof GPUBuffer ? 0 : range.offset ?? 0;
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  if (offset % align !== 0) {
    throw new RangeError(
      `${kernel}: ${arg} starts at byte offset ${offset}, not a multiple of the device's ` +
        `minStorageBufferOffsetAlignment (${align})`,
    );
  }
  const rest = Math.max(0, buffer.size - offset);
  const available = range instanceof GPUBuffer ? rest : Math.min(range.size ?? rest, rest);
  if (available < needed) {
    const where = offset ? ` (from byte offset ${offset} of a ${buffer.size}-byte buffer)` : "";
    const have = u8 ? available : Math.floor(available / 4);
    throw new RangeError(`${kernel}: ${arg} holds ${have} ${unit}${where}, expected shape ${desc}`);
  }
  return { buffer, offset, size: Math.max(needed, 4) };
}

const dummies = new WeakMap<GPUDevice, GPUBuffer>();

/** A 4-byte storage buffer (one a device) bound where a kernel declares a binding it does not read. */
export function dummyBuffer(gpu: Gpu): GPUBuffer {
  let buf = dummies.get(gpu.device);
  if (!buf) dummies.set(gpu.device, buf = createStorageBuffer(gpu, 4, "dummy"));
  return buf;
}

/**
 * Creates a storage buffer (also COPY_SRC/COPY_DST) of `sizeOrData` bytes, or holding a copy
 * of the given typed array. Sizes are rounded up to 4 bytes; 0 becomes 4 (WebGPU forbids
 * empty bindings).
 */
export function createStorageBuffer(
  gpu: Gpu,
  sizeOrData: number | ArrayBufferView,
  label = "storage",
): GPUBuffer {
  const byteLength = typeof sizeOrData === "number" ? sizeOrData : sizeOrData.byteLength;
  checkBufferSize(gpu, label, byteLength);
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  const buffer = gpu.device.createBuffer({ size, usage: STORAGE_USAGE, label });
  if (typeof sizeOrData !== "number") writeBuffer(gpu, buffer, sizeOrData);
  return buffer;
}

/** Copies a typed array into `buffer` at `byteOffset` (queued; ordered before later submits). */
export function writeBuffer(
  gpu: Gpu,
  buffer: GPUBuffer,
  data: ArrayBufferView,
  byteOffset = 0,
): void {
  const padded = data.byteLength % 4 === 0 ? data : padTo4(data);
  gpu.device.queue.writeBuffer(
    buffer,
    byteOffset,
    padded.buffer as ArrayBuffer,
    padded.byteOffset,
    padded.byteLength,
  );
}

function padTo4(data: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return out;
}

/**
 * Builds the bytes of a uniform parameter struct field by field. WGSL lays out `u32`, `i32`
 * and `f32` fields 4 bytes apart; the writer pads the total to 16 bytes as uniforms require.
 */
export class ParamWriter {
  #values: { kind: "u32" | "i32" | "f32"; value: number }[] = [];
  /** Appends an unsigned 32-bit field. */
  u32(value: number): this {
    this.#values.push({ kind: "u32", value });
    return this;
  }
  /** Appends a signed 32-bit field. */
  i32(value: number): this {
    this.#values.push({ kind: "i32", value });
    return this;
  }
  /** Appends a 32-bit float field. */
  f32(value: number): this {
    this.#values.push({ kind: "f32", value });
    return this;
  }
  /** The packed bytes, padded to a multiple of 16. */
  bytes(): Uint8Array {
    const n = Math.max(4, Math.ceil(this.#values.length / 4) * 4);
    const view = new DataView(new ArrayBuffer(n * 4));
    this.#values.forEach((v, i) => {
      if (v.kind === "u32") view.setUint32(i * 4, v.value >>> 0, true);
      else if (v.kind === "i32") view.setInt32(i * 4, v.value | 0, true);
      else view.setFloat32(i * 4, v.value, true);
    });
    return new Uint8Array(view.buffer);
  }
}

/** Creates a uniform buffer holding `data` (e.g. `new ParamWriter().u32(n).bytes()`). */
export function createUniformBuffer(gpu: Gpu, data: ArrayBufferView, label = "params"): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = gpu.device.createBuffer({
    size,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    label,
  });
  writeBuffer(gpu, buffer, data);
  return buffer;
}

/**
 * Reads `byteLength` bytes of `buffer` from `byteOffset` back to the CPU. Awaits GPU
 * completion: for tests, checkpoints and log intervals only.
 */
export async function readBuffer(
  gpu: Gpu,
  buffer: GPUBuffer,
  byteOffset: number = 0,
  byteLength?: number,
): Promise<ArrayBuffer> {
  byteLength ??= buffer.size - byteOffset;
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = gpu.device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    label: "readback",
  });
  const encoder = gpu.device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return copy;
}

/** Reads a buffer (or `count` floats from element `offset`) back as a `Float32Array`. */
export async function readFloats(
  gpu: Gpu,
  buffer: GPUBuffer,
  offset: number = 0,
  count?: number,
): Promise<Float32Array> {
  count ??= buffer.size / 4 - offset;
  return new Float32Array(await readBuffer(gpu, buffer, offset * 4, count * 4));
}

/** Reads a buffer (or `count` u32 from element `offset`) back as a `Uint32Array`. */
export async function readU32(
  gpu: Gpu,
  buffer: GPUBuffer,
  offset: number = 0,
  count?: number,
): Promise<Uint32Array> {
  count ??= buffer.size / 4 - offset;
  return new Uint32Array(await readBuffer(gpu, buffer, offset * 4, count * 4));
}
