/**
 * Shared test helper for env tests: runs the GPU form and the CPU twin side by side with the
 * same seed and actions and asserts that every byte of obs, reward, terminated, truncated
 * and the episode ring agree.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Gpu } from "../../src/gpu/device.ts";
import { actionWords, readGpuEnvStep, rolloutGpuEnv } from "../../src/envs/gpu_env.ts";
import { EPISODE_RING, type EpisodeStats } from "../../src/envs/types.ts";
import type { CpuVecEnv, GpuVecEnv } from "../../src/envs/types.ts";
import type { Rng } from "../../src/util/rng.ts";

function bits(a: Float32Array | Uint32Array | Uint8Array): Uint32Array | Uint8Array {
  if (a instanceof Float32Array) return new Uint32Array(a.buffer, a.byteOffset, a.length);
  return a;
}

function firstDiff(
  what: string,
  gpu: ArrayLike<number>,
  cpu: ArrayLike<number>,
  t: number,
  per: number,
): void {
  for (let k = 0; k < cpu.length; k++) {
    if (gpu[k] !== cpu[k]) {
      assert.fail(
        `${what} differs at step ${t}, copy ${Math.floor(k / per)}, element ${k % per}: ` +
          `gpu ${gpu[k]} cpu ${cpu[k]}`,
      );
    }
  }
}

/**
 * A CPU form with u8 obs seen as the GPU's packed u32 words (byte k of a copy's obs is byte
 * k % 4 of word k / 4, little endian), for {@link assertGpuMatchesCpu}, which compares words.
 */
export function packedU8(cpu: CpuVecEnv): CpuVecEnv {
  const o = cpu.obs as Uint8Array;
  const f = cpu.finalObs as Uint8Array;
  return {
    ...cpu,
    obs: new Uint32Array(o.buffer, o.byteOffset, o.length / 4) as never,
    finalObs: new Uint32Array(f.buffer, f.byteOffset, f.length / 4) as never,
  };
}

/** The finished episodes with index in [from, stats.count) as sorted "return/length" keys. */
export function episodeKeys(stats: EpisodeStats, from: number): string[] {
  const kept = stats.returns.length;
  const first = stats.count - kept;
  const keys: string[] = [];
  for (let j = Math.max(0, from - first); j < kept; j++) {
    keys.push(`${stats.returns[j]}/${stats.lengths[j]}`);
  }
  return keys.sort();
}

/** How {@link assertGpuMatchesCpu} runs both forms. */
export interface MatchRun {
  /** The seed both forms reset with. */
  readonly seed: number;
  /** Steps in all. */
  readonly steps: number;
  /** Steps a GPU submit (and a comparison of the episodes finished in it). */
  readonly chunk: number;
  /** The actions of step t, the same for both forms. */
  readonly actions: (t: number) => Int32Array | Float32Array;
}

/** Uniform discrete actions in [0, count) for n copies, drawn from `rng` at each call. */
export function randomActions(n: number, count: number, rng: Rng): () => Int32Array {
  return () => Int32Array.from({ length: n }, () => rng.int(count));
}

/**
 * Steps both forms `steps` times in chunks (one GPU submit a chunk) with the same actions,
 * comparing everything byte for byte (the final observation where a copy was truncated too).
 * Returns the CPU's episode stats and the number of truncations seen.
 */
export async function assertGpuMatchesCpu(
  gpu: Gpu,
  cpu: CpuVecEnv,
  env: GpuVecEnv,
  { seed, steps, chunk, actions: makeActions }: MatchRun,
): Promise<EpisodeStats & { readonly truncations: number }> {
  const n = cpu.numEnvs;
  const aw = actionWords(cpu.spec);
  const ow = cpu.obs.length / n;
  cpu.reset(seed);
  await env.reset(seed);
  const first = await readGpuEnvStep(gpu, env);
  firstDiff("reset obs", bits(first.obs), bits(cpu.obs as Float32Array), -1, ow);
  let prevCount = 0;
  let truncations = 0;
  for (let t0 = 0; t0 < steps; t0 += chunk) {
    const T = Math.min(chunk, steps - t0);
    const discrete = cpu.spec.action.kind === "discrete";
    const all = discrete ? new Int32Array(T * n * aw) : new Float32Array(T * n * aw);
    const perStep: (Int32Array | Float32Array)[] = [];
    for (let t = 0; t < T; t++) {
      const a = makeActions(t0 + t);
      all.set(a, t * n * aw);
      perStep.push(a);
    }
    const g = await rolloutGpuEnv(gpu, env, all, T);
    const gObs = bits(g.obs);
    const gRew = bits(g.reward);
    for (let t = 0; t < T; t++) {
      cpu.step(perStep[t]);
      const step = t0 + t;
      firstDiff(
        "obs",
        gObs.subarray(t * n * ow, (t + 1) * n * ow),
        bits(cpu.obs as Float32Array),
        step,
        ow,
      );
      firstDiff("reward", gRew.subarray(t * n, (t + 1) * n), bits(cpu.reward), step, 1);
      firstDiff("terminated", g.terminated.subarray(t * n, (t + 1) * n), cpu.terminated, step, 1);
      firstDiff("truncated", g.truncated.subarray(t * n, (t + 1) * n), cpu.truncated, step, 1);
      // The final observation of every copy this step truncated, byte for byte.
      const gFinal = bits(g.finalObs);
      const cFinal = bits(cpu.finalObs as Float32Array);
      const wordsPerCopy = gFinal.length / (T * n);
      for (let i = 0; i < n; i++) {
        if (cpu.truncated[i] === 0) continue;
        truncations++;
        const at = (t * n + i) * wordsPerCopy;
        firstDiff(
          "final obs",
          gFinal.subarray(at, at + wordsPerCopy),
          cFinal.subarray(i * ow, (i + 1) * ow),
          step,
          ow,
        );
      }
    }
    const gs = await env.episodeStats();
    const cs = cpu.episodeStats();
    assert.equal(gs.count, cs.count, `episode count after step ${t0 + T}`);
    // Within one step the GPU's ring order is unspecified: compare this chunk's episodes as
    // sorted multisets (whole steps, so the set is deterministic).
    assert.ok(cs.count - prevCount <= EPISODE_RING, "chunk too long for the ring comparison");
    assert.deepEqual(episodeKeys(gs, prevCount), episodeKeys(cs, prevCount));
    prevCount = cs.count;
  }
  return { ...cpu.episodeStats(), truncations };
}
