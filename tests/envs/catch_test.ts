import assert from "node:assert/strict";
import { catchKernel, makeCatchCpu } from "../../src/envs/catch.ts";
import { makeGpuEnvFromKernel } from "../../src/envs/gpu_env.ts";
import { makeRng } from "../../src/util/rng.ts";
import { gpuTest } from "../util.ts";
import { assertGpuMatchesCpu, randomActions } from "./check.ts";

const ROWS = 10;
const COLS = 5;

/** Ball column and paddle column of copy i, read from the observation. */
function positions(
  obs: Float32Array | Uint8Array,
  i: number,
): { ballRow: number; ball: number; paddle: number } {
  const o = Array.from(obs.subarray(i * ROWS * COLS, (i + 1) * ROWS * COLS));
  let ballRow = -1;
  let ball = -1;
  for (let k = 0; k < (ROWS - 1) * COLS; k++) {
    if (o[k] === 1) [ballRow, ball] = [Math.floor(k / COLS), k % COLS];
  }
  const bottom = o.slice((ROWS - 1) * COLS);
  const ones = bottom.reduce((a, b) => a + b, 0);
  return { ballRow, ball, paddle: bottom.indexOf(1), ...(ones === 1 ? {} : { paddle: -99 }) };
}

Deno.test("catch: obs has exactly the ball and the paddle; ball starts in the top row", () => {
  const env = makeCatchCpu(20);
  env.reset(1);
  const cols = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const o = Array.from(env.obs.subarray(i * 50, (i + 1) * 50));
    assert.equal(o.reduce((a, b) => a + b, 0), 2);
    const p = positions(env.obs, i);
    assert.equal(p.ballRow, 0);
    assert.equal(p.paddle, 2);
    cols.add(p.ball);
  }
  assert.ok(cols.size >= 3, "random start columns");
  assert.deepEqual(env.spec.obs.shape, [1, 10, 5]);
});

Deno.test("catch: following the ball gives +1 every 9 steps, standing still mostly -1", () => {
  const n = 16;
  const env = makeCatchCpu(n);
  env.reset(7);
  let caught = 0;
  for (let t = 1; t <= 90; t++) {
    const a = Int32Array.from({ length: n }, (_, i) => {
      const p = positions(env.obs, i);
      return p.ball < p.paddle ? 0 : p.ball > p.paddle ? 2 : 1;
    });
    env.step(a);
    for (let i = 0; i < n; i++) {
      assert.equal(env.terminated[i], t % 9 === 0 ? 1 : 0, `step ${t}`);
      assert.equal(env.truncated[i], 0);
      assert.equal(env.reward[i], t % 9 === 0 ? 1 : 0);
      caught += env.reward[i];
    }
  }
  assert.equal(caught, n * 10);
  const stats = env.episodeStats();
  assert.equal(stats.count, n * 10);
  assert.ok(stats.returns.every((r) => r === 1) && stats.lengths.every((l) => l === 9));
  // Standing still: +1 only when the ball started in the middle column.
  env.reset(8);
  const starts = Array.from({ length: n }, (_, i) => positions(env.obs, i).ball);
  for (let t = 0; t < 9; t++) env.step(new Int32Array(n).fill(1));
  for (let i = 0; i < n; i++) assert.equal(env.reward[i], starts[i] === 2 ? 1 : -1);
  assert.ok(starts.some((c) => c !== 2));
  // After the episode the obs already shows the next episode (ball in the top row).
  for (let i = 0; i < n; i++) assert.equal(positions(env.obs, i).ballRow, 0);
});

Deno.test("catch: the paddle stops at the walls; options change the grid", () => {
  const env = makeCatchCpu(1, { rows: 4, columns: 3 });
  env.reset(0);
  assert.deepEqual(env.spec.obs.shape, [1, 4, 3]);
  env.step(new Int32Array([0]));
  env.step(new Int32Array([0]));
  const bottom = [...env.obs.subarray(9, 12)];
  assert.deepEqual(bottom, [1, 0, 0]);
  env.step(new Int32Array([0]));
  assert.equal(env.terminated[0], 1);
  assert.equal(env.episodeStats().lengths[0], 3);
});

Deno.test("catch: determinism by seed; out-of-range actions throw naming the copy", () => {
  const run = (seed: number) => {
    const env = makeCatchCpu(6);
    env.reset(seed);
    const rng = makeRng(2);
    const out: number[] = [];
    for (let t = 0; t < 100; t++) {
      env.step(Int32Array.from({ length: 6 }, () => rng.int(3)));
      out.push(...env.obs, ...env.reward);
    }
    return out;
  };
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
  const env = makeCatchCpu(3);
  env.reset(0);
  assert.throws(
    () => env.step(new Int32Array([0, 1, 3])),
    /copy 2 is 3; allowed: an integer in \[0, 2\]/,
  );
  assert.throws(() => env.step(new Int32Array([-1, 1, 1])), /copy 0 is -1/);
});

for (const seed of [0, 31, 123456]) {
  gpuTest(
    `catch: GPU matches the CPU twin bit for bit (seed ${seed}, N 37, 2000 steps)`,
    async (gpu) => {
      const n = 37;
      const cpu = makeCatchCpu(n);
      const env = await makeGpuEnvFromKernel(gpu, catchKernel(), n);
      const rng = makeRng(seed, 9);
      const stats = await assertGpuMatchesCpu(gpu, cpu, env, {
        seed: seed,
        steps: 2000,
        chunk: 500,
        actions: randomActions(n, 3, rng),
      });
      assert.equal(stats.count, Math.floor(2000 / 9) * n);
    },
  );
}

gpuTest("catch: GPU reset restarts the episode ring and the trajectory", async (gpu) => {
  const n = 70; // two workgroups, the second partly empty
  const env = await makeGpuEnvFromKernel(gpu, catchKernel({ rows: 5, columns: 7 }), n);
  const cpu = makeCatchCpu(n, { rows: 5, columns: 7 });
  await assertGpuMatchesCpu(gpu, cpu, env, {
    seed: 5,
    steps: 30,
    chunk: 30,
    actions: (t) => new Int32Array(n).fill(t % 3),
  });
  const again = await assertGpuMatchesCpu(gpu, cpu, env, {
    seed: 6,
    steps: 30,
    chunk: 30,
    actions: (t) => new Int32Array(n).fill(2 - (t % 3)),
  });
  assert.equal((await env.episodeStats()).count, again.count);
  assert.equal(again.count, 7 * n);
});
