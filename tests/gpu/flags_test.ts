import assert from "node:assert/strict";
import { createStorageBuffer, readFloats, readU32 } from "../../src/gpu/buffers.ts";
import {
  copyRowsWhere,
  episodeStarts,
  recordCopyRowsWhere,
  recordEpisodeStarts,
} from "../../src/gpu/flags.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { makeRng } from "../../src/util/rng.ts";
import { gpuTest } from "../util.ts";

Deno.test("flags twins: starts where an episode ended; rows copied only where flagged", () => {
  const starts = new Uint32Array(4);
  episodeStarts([1, 0, 0, 1], [0, 1, 0, 1], starts);
  assert.deepEqual([...starts], [1, 1, 0, 1]);
  const src = Float32Array.from({ length: 6 }, (_, i) => i + 1);
  const dst = new Float32Array(6).fill(-1);
  copyRowsWhere([0, 1, 0], src, dst, 2);
  assert.deepEqual([...dst], [-1, -1, 3, 4, -1, -1]);
});

gpuTest("flags.wgsl: main and copy_rows_where match their twins (n 1000, width 7)", async (gpu) => {
  const n = 1000; // not a multiple of the workgroup size 256
  const width = 7;
  const rng = makeRng(13);
  const terminated = Uint32Array.from({ length: n }, () => (rng.unit() < 0.1 ? 1 : 0));
  const truncated = Uint32Array.from({ length: n }, () => (rng.unit() < 0.1 ? 1 : 0));
  const src = Float32Array.from({ length: n * width }, () => rng.uniform(-1, 1));
  const dst = Float32Array.from({ length: n * width }, () => rng.uniform(5, 6));
  const starts = new Uint32Array(n).fill(7);
  const expectedStarts = new Uint32Array(n);
  episodeStarts(terminated, truncated, expectedStarts);
  const expectedDst = dst.slice();
  copyRowsWhere(truncated, src, expectedDst, width);

  const b = {
    terminated: createStorageBuffer(gpu, terminated),
    truncated: createStorageBuffer(gpu, truncated),
    starts: createStorageBuffer(gpu, starts),
    src: createStorageBuffer(gpu, src),
    dst: createStorageBuffer(gpu, dst),
  };
  await runPlan(gpu, [
    await recordEpisodeStarts(gpu, b.terminated, b.truncated, b.starts, n),
    await recordCopyRowsWhere(gpu, b.truncated, b.src, b.dst, n, width),
  ]);
  assert.deepEqual([...await readU32(gpu, b.starts, 0, n)], [...expectedStarts]);
  assert.deepEqual([...await readFloats(gpu, b.dst, 0, n * width)], [...expectedDst]);
  assert.ok(truncated.some((f) => f === 1) && truncated.some((f) => f === 0));
  await assert.rejects(
    () => recordCopyRowsWhere(gpu, b.truncated, b.src, b.dst, n + 1, width),
    /flags: flag holds 1000 words, expected at least 1001/,
  );
});
