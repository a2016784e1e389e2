import assert from "node:assert/strict";
import {
  makePongCpu,
  makePongGpu,
  PONG_GEOMETRY,
  PONG_GRAY,
  PONG_WIN_POINTS,
  type PongCpu,
  pongPixelSpan,
  pongSpec,
} from "../../src/envs/pong.ts";
import { blendGray, pixelCover } from "../../src/envs/arcade.ts";
import { renderPong } from "../../src/envs/pong_picture.ts";
import { makeRng } from "../../src/util/rng.ts";
import { gpuTest } from "../util.ts";
import { assertGpuMatchesCpu, packedU8, randomActions } from "./check.ts";

/** Plays `episodes` episodes per copy with `policy`; returns the finished returns and lengths. */
function play(
  env: PongCpu,
  seed: number,
  policy: (env: PongCpu, i: number) => number,
  maxSteps: number,
): { returns: number[]; lengths: number[] } {
  env.reset(seed);
  const n = env.numEnvs;
  for (let t = 0; t < maxSteps && env.episodeStats().count < n; t++) {
    env.step(Int32Array.from({ length: n }, (_, i) => policy(env, i)));
  }
  const s = env.episodeStats();
  return { returns: [...s.returns], lengths: [...s.lengths] };
}

/** Moves the paddle's centre towards the ball's centre (up: 2, down: 3). */
function tracker(env: PongCpu, i: number): number {
  const s = env.peek(i);
  const ball = s.ballY + 2 * 256;
  const paddle = s.agentY + 8 * 256;
  return ball < paddle - 384 ? 2 : ball > paddle + 384 ? 3 : 0;
}

Deno.test("pong: spec, first frame, gray levels and the stack after reset", () => {
  assert.deepEqual(pongSpec().obs, { shape: [4, 84, 84], dtype: "u8" });
  assert.equal(pongSpec().maxEpisodeSteps, 27000);
  assert.deepEqual(pongSpec({ frameSize: 42, frameStack: 2 }).obs.shape, [2, 42, 42]);
  const env = makePongCpu(3, { frameSize: 42 });
  env.reset(5);
  const F = 42 * 42;
  for (let i = 0; i < 3; i++) {
    const o = env.obs.subarray(i * 4 * F, (i + 1) * 4 * F);
    for (let f = 1; f < 4; f++) assert.deepEqual(o.subarray(f * F, (f + 1) * F), o.subarray(0, F));
    const levels = new Set(o.subarray(0, F));
    assert.deepEqual([...levels].sort((x, y) => x - y), [0, 130, 147, 236]);
    // Walls: the top and the bottom rows; the agent's paddle in its column band on the right.
    assert.equal(o[0], PONG_GRAY.GRAY_WALL);
    assert.equal(o[F - 1], PONG_GRAY.GRAY_WALL);
    const col = pongPixelSpan(PONG_GEOMETRY.AGENT_X, PONG_GEOMETRY.AGENT_X + 4, 42) & 255;
    let agentPixels = 0;
    for (let r = 0; r < 42; r++) if (o[r * 42 + col] === PONG_GRAY.GRAY_AGENT) agentPixels++;
    assert.ok(agentPixels >= 4, `agent paddle rows ${agentPixels}`);
  }
  // The ball is at least one pixel at 42 x 42, wherever it is.
  for (let v = 0; v < 157; v++) {
    const s = pongPixelSpan(v, v + 4, 42);
    assert.ok((s >>> 8) > (s & 255));
  }
  const pic = env.render(1);
  assert.equal(pic.width, 160);
  assert.equal(pic.rgb.length, 160 * 160 * 3);
  assert.deepEqual([...pic.rgb.subarray(0, 3)], [236, 236, 236]);
  assert.equal(renderPong(env.peek(0)).height, 160);
  // ALE's background level, as an option.
  const ale = makePongCpu(1, { frameSize: 42, background: 87 });
  ale.reset(5);
  const aleLevels = new Set(ale.obs.subarray(0, F));
  assert.deepEqual([...aleLevels].sort((x, y) => x - y), [87, 130, 147, 236]);
});

Deno.test("pong: the README's ball tracker: about +8 a game over 8 full games (seed 2)", () => {
  // Each copy plays one whole game (to 21 points or the 27k-step limit) with the tracker.
  const n = 8;
  const env = makePongCpu(n);
  env.reset(2);
  const first = new Array<number>(n).fill(NaN);
  for (let t = 0; t < 27_000 && first.some((r) => Number.isNaN(r)); t++) {
    env.step(Int32Array.from({ length: n }, (_, i) => tracker(env, i)));
    // The CPU form records the episodes of one step in copy order.
    const ended = [...Array(n).keys()].filter((i) => env.terminated[i] || env.truncated[i]);
    const returns = env.episodeStats().returns;
    ended.forEach((i, k) => {
      if (Number.isNaN(first[i])) first[i] = returns[returns.length - ended.length + k];
    });
  }
  assert.ok(first.every((r) => !Number.isNaN(r)), `every game ended: ${first}`);
  const mean = first.reduce((a, b) => a + b, 0) / n;
  assert.ok(mean >= 5 && mean <= 12, `tracker mean return ${mean} (${first})`);
  assert.ok(first.filter((r) => r > 0).length >= 6, `games won: ${first}`);
});

Deno.test("pong: a random agent loses, a ball tracker wins points; games end at 21", () => {
  const n = 4;
  const rng = makeRng(11);
  const random = play(makePongCpu(n), 1, () => rng.int(6), 4000);
  assert.equal(random.returns.length, n);
  const mean = random.returns.reduce((a, b) => a + b, 0) / n;
  assert.ok(mean < -15, `random agent mean return ${mean}`);
  const env = makePongCpu(n, { maxEpisodeSteps: 3000 });
  const tracked = play(env, 2, tracker, 3000);
  const points = tracked.returns.reduce((a, b) => a + b, 0);
  assert.ok(points > 0, `tracker's returns ${tracked.returns}`);

  for (const winPoints of [PONG_WIN_POINTS, 3]) checkGameEnds(winPoints);
});

/**
 * Step by step: rewards in {-1, 0, 1} with frameSkip 1, scores move with them, and the episode
 * terminates exactly at the step where a side reaches `winPoints`.
 */
function checkGameEnds(winPoints: number): void {
  const one = makePongCpu(2, { frameSkip: 1, noopMax: 0, winPoints });
  one.reset(3);
  const r2 = makeRng(4);
  const ret = [0, 0];
  let ended = 0;
  for (let t = 0; t < 20000 && ended < 2; t++) {
    const before = [0, 1].map((i) => one.peek(i));
    one.step(Int32Array.from({ length: 2 }, () => r2.int(6)));
    for (let i = 0; i < 2; i++) {
      const r = one.reward[i];
      assert.ok(r === -1 || r === 0 || r === 1, `reward ${r}`);
      ret[i] += r;
      const b = before[i];
      const win = (r === 1 && b.scoreAgent === winPoints - 1) ||
        (r === -1 && b.scoreOpp === winPoints - 1);
      assert.equal(one.terminated[i], win ? 1 : 0, `step ${t} copy ${i}`);
      if (win) {
        ended++;
        const s = one.episodeStats();
        assert.equal(s.returns[s.count - 1], ret[i]);
        assert.equal(s.lengths[s.count - 1], b.steps + 1);
        assert.equal(one.peek(i).steps, 0);
        ret[i] = 0;
      } else {
        const a = one.peek(i);
        assert.equal(a.scoreAgent - b.scoreAgent, r === 1 ? 1 : 0);
        assert.equal(a.scoreOpp - b.scoreOpp, r === -1 ? 1 : 0);
      }
    }
  }
  assert.equal(ended, 2);
}

Deno.test("pong: frame skip sums the frames' rewards; truncation; determinism", () => {
  // With the same seed and no sticky actions/no-ops, k = 4 frames of NOOP per step reach the
  // same states as 4 steps of frameSkip 1, and each reward is the sum of those 4.
  const a = makePongCpu(3, { frameSkip: 4, noopMax: 0 });
  const b = makePongCpu(3, { frameSkip: 1, noopMax: 0 });
  a.reset(9);
  b.reset(9);
  const noop = new Int32Array(3);
  let nonzero = 0;
  for (let t = 0; t < 600; t++) {
    a.step(noop);
    const sum = [0, 0, 0];
    for (let k = 0; k < 4; k++) {
      b.step(noop);
      for (let i = 0; i < 3; i++) sum[i] += b.reward[i];
      if (b.terminated.some((x) => x) && k < 3) throw new Error("test assumes no mid-skip end");
    }
    assert.deepEqual([...a.reward], sum, `step ${t}`);
    nonzero += sum.filter((x) => x !== 0).length;
    for (let i = 0; i < 3; i++) {
      assert.deepEqual({ ...a.peek(i), steps: 0 }, { ...b.peek(i), steps: 0 });
    }
    if (a.terminated.some((x) => x)) break;
  }
  assert.ok(nonzero > 5);
  // Truncation after maxEpisodeSteps.
  const c = makePongCpu(2, { maxEpisodeSteps: 7 });
  c.reset(0);
  for (let t = 1; t <= 14; t++) {
    c.step(new Int32Array(2));
    assert.deepEqual([...c.truncated], t % 7 === 0 ? [1, 1] : [0, 0]);
  }
  assert.deepEqual([...c.episodeStats().lengths], [7, 7, 7, 7]);
  // Same seed, same actions: the same bytes; another seed: other bytes.
  const run = (seed: number) => {
    const e = makePongCpu(2, { frameSize: 42, stickyProb: 0.25 });
    e.reset(seed);
    const rng = makeRng(3);
    for (let t = 0; t < 50; t++) e.step(Int32Array.from({ length: 2 }, () => rng.int(6)));
    return [...e.obs, ...e.reward];
  };
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
});

Deno.test("pong: antialias draws each pixel as the average of the square it covers", () => {
  const F = 42 * 42;
  const S = 42;
  const sharp = makePongCpu(1, { frameSize: 42, noopMax: 0 });
  const soft = makePongCpu(1, { frameSize: 42, noopMax: 0, antialias: true });
  sharp.reset(3);
  soft.reset(3);
  const noop = new Int32Array(1);
  // The same game (rendering changes no state); each frame's total ink is the objects' area
  // in pixels within rounding, where the sharp frame rounds every edge outwards.
  const field = PONG_GEOMETRY.FIELD;
  let softEdges = 0;
  for (let t = 0; t < 40; t++) {
    sharp.step(noop);
    soft.step(noop);
    assert.deepEqual(sharp.peek(0), soft.peek(0));
    const frame = soft.obs.subarray(3 * F, 4 * F);
    const levels = new Set(frame);
    softEdges += [...levels].filter((g) => ![0, 130, 147, 236].includes(g)).length;
    // The ball alone: its 4 × 4 units are (4·42/160)² ≈ 1.1 pixels of gray 236.
    const s = soft.peek(0);
    const bx = s.ballX >> 8;
    const by = s.ballY >> 8;
    let ink = 0;
    const c0 = Math.max(0, Math.floor((bx * S) / field));
    const r0 = Math.floor((by * S) / field);
    for (let r = r0; r < r0 + 3 && r < S; r++) {
      for (let c = c0; c < c0 + 3 && c < S; c++) ink += frame[r * S + c];
    }
    if (bx > 40 && bx < 120) {
      const expected = 236 * ((4 * S) / field) ** 2;
      assert.ok(
        Math.abs(ink - expected) <= 9 * 1,
        `step ${t}: ball ink ${ink}, expected ${expected}`,
      );
    }
  }
  assert.ok(softEdges > 40, `partly covered pixels seen: ${softEdges}`);
  // Sharp frames keep the four levels.
  assert.deepEqual(
    [...new Set(sharp.obs)].sort((x, y) => x - y),
    [0, 130, 147, 236],
  );
  // By hand, at 42 (a pixel is 160/42 units; covers in 1/42 units): the units [0, 4) cover
  // all of pixel 0 (160) and 8 of pixel 1, whose gray is then ⌊236 · 8·160 / 160²⌋ = 11.
  assert.equal(pixelCover(0, 0, 4, 42, field), 160);
  assert.equal(pixelCover(1, 0, 4, 42, field), 8);
  assert.equal(pixelCover(2, 0, 4, 42, field), 0);
  assert.equal(pixelCover(0, -3, 1, 42, field), 42, "clamped to the field");
  assert.equal(blendGray(0, 236, 8 * 160, field), 11);
  assert.equal(blendGray(87, 236, 160 * 160, field), 236);
  assert.equal(blendGray(87, 236, 0, field), 87);
  assert.throws(
    () => makePongCpu(1, { antialias: 1 } as never),
    /option antialias = 1; allowed: true or false/,
  );
});

Deno.test("pong: options and actions are validated with the option, value and range", () => {
  assert.throws(() => makePongCpu(1, { colour: 1 } as never), /unknown option "colour"/);
  assert.throws(
    () => makePongCpu(1, { frameSize: 50 }),
    /option frameSize = 50; allowed: 84 or 42/,
  );
  assert.throws(
    () => makePongCpu(1, { frameSkip: 0 }),
    /option frameSkip = 0; allowed: an integer in \[1, 8\]/,
  );
  assert.throws(() => makePongCpu(1, { frameStack: 5 }), /frameStack = 5; .*\[1, 4\]/);
  assert.throws(() => makePongCpu(1, { noopMax: 31 }), /noopMax = 31; .*\[0, 30\]/);
  assert.throws(() => makePongCpu(1, { winPoints: 0 }), /winPoints = 0; .*\[1, 21\]/);
  assert.throws(() => makePongCpu(1, { background: 256 }), /background = 256; .*\[0, 255\]/);
  assert.throws(
    () => makePongCpu(1, { stickyProb: 1.5 }),
    /stickyProb = 1.5; allowed: a number in \[0, 1\]/,
  );
  assert.throws(() => makePongCpu(0), /numEnvs must be an integer >= 1, got 0/);
  const env = makePongCpu(3);
  env.reset(0);
  assert.throws(
    () => env.step(new Int32Array([0, 6, 1])),
    /action of copy 1 is 6; allowed: an integer in \[0, 5\]/,
  );
  assert.throws(() => env.step(new Int32Array(2)), /actions has 2 elements, expected 3/);
});

for (const seed of [0, 77, 123456]) {
  gpuTest(
    `pong: GPU matches the CPU twin bit for bit (seed ${seed}, N 7, 42x42, 3000 steps)`,
    async (gpu) => {
      const n = 7;
      const options = { frameSize: 42, maxEpisodeSteps: 700 };
      const cpu = makePongCpu(n, options);
      const env = await makePongGpu(gpu, n, options);
      const rng = makeRng(seed, 9);
      const stats = await assertGpuMatchesCpu(gpu, packedU8(cpu), env, {
        seed: seed,
        steps: 3000,
        chunk: 1000,
        actions: randomActions(n, 6, rng),
      });
      assert.ok(stats.count >= n * 4, `episodes ${stats.count}`);
      assert.ok(stats.returns.some((r) => r === -21 || r === -20), "some games end at 21");
    },
  );
}

gpuTest("pong: GPU matches the CPU twin in short games (winPoints 2)", async (gpu) => {
  const n = 6;
  const options = { frameSize: 42, winPoints: 2 };
  const cpu = makePongCpu(n, options);
  const env = await makePongGpu(gpu, n, options);
  const rng = makeRng(8, 3);
  const stats = await assertGpuMatchesCpu(gpu, packedU8(cpu), env, {
    seed: 5,
    steps: 400,
    chunk: 200,
    actions: randomActions(n, 6, rng),
  });
  assert.ok(stats.count >= n, `episodes ${stats.count}`);
  assert.ok(stats.returns.every((r) => Math.abs(r) <= 2 && r !== 0), `${stats.returns}`);
});

for (const frameSize of [42, 84]) {
  gpuTest(
    `pong: GPU matches the CPU twin with antialias at ${frameSize}x${frameSize}`,
    async (gpu) => {
      const n = 4;
      const options = { frameSize, antialias: true, maxEpisodeSteps: 150, background: 87 };
      const cpu = makePongCpu(n, options);
      const env = await makePongGpu(gpu, n, options);
      const rng = makeRng(6, 1);
      const stats = await assertGpuMatchesCpu(gpu, packedU8(cpu), env, {
        seed: 11,
        steps: 300,
        chunk: 150,
        actions: randomActions(n, 6, rng),
      });
      assert.equal(stats.truncations, n * 2);
    },
  );
}

gpuTest(
  "pong: GPU matches the CPU twin at 84x84 with sticky actions, no-ops, frameSkip 3",
  async (gpu) => {
    const n = 5;
    const options = {
      stickyProb: 0.25,
      noopMax: 30,
      frameSkip: 3,
      frameStack: 3,
      maxEpisodeSteps: 60,
      background: 87,
    };
    const cpu = makePongCpu(n, options);
    const env = await makePongGpu(gpu, n, options);
    const rng = makeRng(4, 2);
    const stats = await assertGpuMatchesCpu(gpu, packedU8(cpu), env, {
      seed: 42,
      steps: 200,
      chunk: 100,
      actions: randomActions(n, 6, rng),
    });
    assert.equal(stats.count, n * 3);
    assert.equal(stats.truncations, n * 3, "every game is cut by the time limit");
  },
);
