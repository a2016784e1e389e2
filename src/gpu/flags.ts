/**
 * Episode-start flags from an env step's end flags (`shaders/flags.wgsl`): where a copy's
 * episode ended (terminated or truncated), the next step starts a new one and a recurrent
 * policy resets its state.
 *
 * @module
 */

import type { Gpu } from "./device.ts";
import { createUniformBuffer, ParamWriter } from "./buffers.ts";
import { type Dispatch, grid1d, makeDispatch } from "./plan.ts";

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
  const params = createUniformBuffer(gpu, new ParamWriter().u32(n).bytes(), "flags");
  return await makeDispatch(
    gpu,
    "flags",
    "main",
    [params, terminated, truncated, starts],
    grid1d(n),
  );
}
