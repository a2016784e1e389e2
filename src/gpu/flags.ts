/**
 * Per-copy flag kernels of a rollout (`shaders/flags.wgsl`) and their twins: episode-start
 * flags from an env step's end flags (where a copy's episode ended, terminated or truncated,
 * the next step starts a new one and a recurrent policy resets its state), and a row copy
 * where a flag is set (A2C keeps the LSTM state of the copies a time limit truncated, for
 * the value of their final observation).
 *
 * @module
 */

import type { Gpu } from "./device.ts";
import { createUniformBuffer, ParamWriter } from "./buffers.ts";
import { type Dispatch, makeDispatch1d } from "./plan.ts";

/** Workgroup size of the flag kernels (the shader's WG). */
const WG = 256;

/** Twin of `flags.main`: starts[i] = 1 where terminated[i] or truncated[i] is nonzero. */
export function episodeStarts(
  terminated: ArrayLike<number>,
  truncated: ArrayLike<number>,
  starts: Uint32Array | Uint8Array,
): void {
  for (let i = 0; i < starts.length; i++) {
    starts[i] = terminated[i] !== 0 || truncated[i] !== 0 ? 1 : 0;
  }
}

/** Records `flags.main` over `n` copies (u32 buffers of at least n words each). */
export async function recordEpisodeStarts(
  gpu: Gpu,
  terminated: GPUBuffer,
  truncated: GPUBuffer,
  starts: GPUBuffer,
  n: number,
): Promise<Dispatch> {
  for (
    const [name, b] of [["terminated", terminated], ["truncated", truncated], [
      "starts",
      starts,
    ]] as const
  ) {
    if (b.size < n * 4) {
      throw new RangeError(`flags: ${name} holds ${b.size / 4} words, expected at least n = ${n}`);
    }
  }
  const params = createUniformBuffer(gpu, new ParamWriter().u32(n).u32(1).bytes(), "flags");
  return await makeDispatch1d(gpu, {
    shader: "flags",
    entryPoint: "main",
    buffers: [params, terminated, truncated, starts],
    n,
    wg: WG,
  });
}

/** Twin of `flags.copy_rows_where`: dst row i ← src row i (`width` floats) where flag[i] ≠ 0. */
export function copyRowsWhere(
  flag: ArrayLike<number>,
  src: Float32Array,
  dst: Float32Array,
  width: number,
): void {
  for (let i = 0; i < flag.length; i++) {
    if (flag[i] !== 0) dst.set(src.subarray(i * width, (i + 1) * width), i * width);
  }
}

/** Records `flags.copy_rows_where` over `n` rows of `width` f32s (flag: u32 [n]). */
export async function recordCopyRowsWhere(
  gpu: Gpu,
  flag: GPUBuffer,
  src: GPUBuffer,
  dst: GPUBuffer,
  n: number,
  width: number,
): Promise<Dispatch> {
  for (
    const [name, b, words] of [["flag", flag, n], ["src", src, n * width], [
      "dst",
      dst,
      n * width,
    ]] as const
  ) {
    if (b.size < words * 4) {
      throw new RangeError(`flags: ${name} holds ${b.size / 4} words, expected at least ${words}`);
    }
  }
  const params = createUniformBuffer(gpu, new ParamWriter().u32(n).u32(width).bytes(), "flags");
  return await makeDispatch1d(gpu, {
    shader: "flags",
    entryPoint: "copy_rows_where",
    buffers: [params, undefined, undefined, undefined, flag, src, dst],
    n: n * width,
    wg: WG,
  });
}
