/**
 * Records word copies between buffers at element offsets inside a compute pass
 * (`shaders/copy.wgsl`); the CPU twin is `TypedArray.prototype.set`.
 *
 * @module
 */

import type { Gpu } from "./device.ts";
import { createUniformBuffer, ParamWriter } from "./buffers.ts";
import { type Dispatch, makeDispatch1d } from "./plan.ts";

/**
 * Records dst[dstOffset + i] = src[srcOffset + i] for i < count, in 4-byte words (f32, i32
 * and u32 alike; packed u8 data counts in words). Offsets are in words and need no alignment.
 */
export async function recordCopy(
  gpu: Gpu,
  src: GPUBuffer,
  dst: GPUBuffer,
  count: number,
  srcOffset = 0,
  dstOffset = 0,
): Promise<Dispatch> {
  for (
    const [field, value] of [["count", count], ["srcOffset", srcOffset], [
      "dstOffset",
      dstOffset,
    ]] as const
  ) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`copy: ${field} must be a non-negative integer, got ${value}`);
    }
  }
  if ((srcOffset + count) * 4 > src.size) {
    throw new RangeError(
      `copy: source ${src.label} holds ${src.size / 4} words, copy reads up to ${
        srcOffset + count
      }`,
    );
  }
  if ((dstOffset + count) * 4 > dst.size) {
    throw new RangeError(
      `copy: destination ${dst.label} holds ${dst.size / 4} words, copy writes up to ${
        dstOffset + count
      }`,
    );
  }
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(count).u32(srcOffset).u32(dstOffset).bytes(),
    "copy",
  );
  return await makeDispatch1d(gpu, {
    shader: "copy",
    entryPoint: "main",
    buffers: [params, src, dst],
    n: count,
    wg: 256,
  });
}
