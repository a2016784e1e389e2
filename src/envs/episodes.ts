/**
 * The ring of finished episodes, in the one layout shared by the CPU and GPU forms:
 *
 *   words[0]                 count: episodes finished since reset (u32, all copies together)
 *   words[1 + 2·slot]        return of the episode in `slot` (f32 bits)
 *   words[2 + 2·slot]        length of that episode in agent steps (u32)
 *
 * with `slot = k % EPISODE_RING` for the k-th finished episode (k = 0, 1, ...). The GPU form
 * takes `k` from an atomicAdd on word 0 (`record_episode` in `shaders/envs/common.wgsl`), so
 * the order of the episodes finished in ONE step is unspecified there; the CPU form records
 * them in copy order. Episodes of different steps are always in step order.
 *
 * @module
 */

import { EPISODE_RING, type EpisodeStats } from "./types.ts";

/** Number of u32 words of an episode ring: the count, then (return, length) per slot. */
export const EPISODE_RING_WORDS: number = 1 + 2 * EPISODE_RING;

/** A CPU episode ring: `words` in the layout above, `floats` a Float32Array view of them. */
export interface EpisodeRing {
  /** The ring's words (length {@link EPISODE_RING_WORDS}). */
  readonly words: Uint32Array;
  /** The same memory as f32, to write returns. */
  readonly floats: Float32Array;
}

/** Creates an empty ring (count 0). */
export function createEpisodeRing(): EpisodeRing {
  const words = new Uint32Array(EPISODE_RING_WORDS);
  return { words, floats: new Float32Array(words.buffer) };
}

/** Empties the ring (count 0; old slots are ignored by readers). */
export function clearEpisodeRing(ring: EpisodeRing): void {
  ring.words.fill(0);
}

/**
 * Records one finished episode: `ret` is stored as f32 (pass a value already exact in f32 to
 * match the GPU), `length` in agent steps. Twin of `record_episode` in `common.wgsl`.
 */
export function recordEpisode(ring: EpisodeRing, ret: number, length: number): void {
  const k = ring.words[0];
  const slot = k % EPISODE_RING;
  ring.floats[1 + 2 * slot] = ret;
  ring.words[2 + 2 * slot] = length >>> 0;
  ring.words[0] = (k + 1) >>> 0;
}

/**
 * Decodes ring words (from a CPU ring or read back from the GPU `episodes` buffer) into
 * {@link EpisodeStats}: the count and the last min(count, EPISODE_RING) episodes, oldest
 * first. Copies the data.
 */
export function decodeEpisodeRing(words: Uint32Array): EpisodeStats {
  if (words.length < EPISODE_RING_WORDS) {
    throw new RangeError(
      `decodeEpisodeRing: words has ${words.length} elements, expected ${EPISODE_RING_WORDS}`,
    );
  }
  const count = words[0];
  const kept = Math.min(count, EPISODE_RING);
  const first = count - kept; // episode index of the oldest kept
  const bits = new Uint32Array(kept);
  const lengths = new Uint32Array(kept);
  for (let j = 0; j < kept; j++) {
    const slot = (first + j) % EPISODE_RING;
    bits[j] = words[1 + 2 * slot];
    lengths[j] = words[2 + 2 * slot];
  }
  return { count, returns: new Float32Array(bits.buffer), lengths };
}
