import assert from "node:assert/strict";
import {
  BREAKOUT_GEOMETRY as G,
  BREAKOUT_GRAY,
  BREAKOUT_LIVES,
  BREAKOUT_ROW_POINTS,
  type BreakoutCpu,
  breakoutSpec,
  makeBreakoutCpu,
  makeBreakoutGpu,
} from "../../src/envs/breakout.ts";
import { breakoutCpuPreset, trainAsync } from "../../src/algos/async/mod.ts";
import { makeRng } from "../../src/util/rng.ts";
import { gpuTest } from "../util.ts";
import { assertGpuMatchesCpu, packedU8, randomActions } from "./check.ts";

/** Fires when no ball is in play, else moves the paddle's centre under the ball's. */
function tracker(env: BreakoutCpu, i: number): number {
  const s = env.peek(i);
  if (!s.inPlay) return 1;
  const ball = s.ballX + 2 * 256;
  const paddle = s.paddleX + 8 * 256;
  return ball < paddle - 512 ? 3 : ball > paddle + 512 ? 2 : 0;
}

/** Plays one game a copy with `policy`; the returns and lengths of the first games. */
function play(
  env: BreakoutCpu,
  seed: number,
  policy: (i: number) => number,
  maxSteps: number,
): number[] {
  env.reset(seed);
  const n = env.numEnvs;
  const first = new Array<number>(n).fill(NaN);
  for (let t = 0; t < maxSteps && first.some((r) => Number.isNaN(r)); t++) {
    env.step(Int32Array.from({ length: n }, (_, i) => policy(i)));
    const ended = [...Array(n).keys()].filter((i) => env.terminated[i] || env.truncated[i]);
    const returns = env.episodeStats().returns;
    ended.forEach((i, k) => {
      if (Number.isNaN(first[i])) first[i] = returns[returns.length - ended.length + k];
    });
  }
  return first;
}

Deno.test("breakout: spec, the first frame's gray levels, walls, bricks and paddle", () => {
  assert.deepEqual(breakoutSpec().obs, { shape: [4, 84, 84], dtype: "u8" });
  assert.deepEqual(breakoutSpec().action, { kind: "discrete", n: 4 });
  // Bricks lie on whole pixels at both sizes (the GPU's pixel → brick division needs it).
  for (const S of [42, 84]) {
    const u = G.FIELD / S;
    assert.ok(Number.isInteger(u));
    for (const v of [G.WALL_SIDE, G.BRICK_Y, G.BRICK_W, G.BRICK_H]) assert.equal(v % u, 0);
  }
  for (const S of [42, 84]) {
    const env = makeBreakoutCpu(2, { frameSize: S });
    env.reset(3);
    const F = S * S;
    const o = env.obs.subarray(0, 4 * F);
    for (let f = 1; f < 4; f++) assert.deepEqual(o.subarray(f * F, (f + 1) * F), o.subarray(0, F));
    const levels = [...new Set(o.subarray(0, F))].sort((x, y) => x - y);
    assert.deepEqual(levels, [0, 85, 110, 124, 129, 131, 142, 148]);
    const u = G.FIELD / S;
    assert.equal(o[0], BREAKOUT_GRAY.GRAY_WALL); // the top-left corner
    assert.equal(o[F - 1], BREAKOUT_GRAY.GRAY_WALL); // the right wall at the bottom
    // Each brick row across the whole width, in its row's gray.
    for (let r = 0; r < 6; r++) {
      const row = (G.BRICK_Y + r * G.BRICK_H) / u;
      const grays = [...new Set(o.subarray(row * S + G.WALL_SIDE / u, (row + 1) * S - 12 / u))];
      assert.equal(grays.length, 1, `row ${r}`);
    }
    // The paddle in the middle of its rows, no ball before FIRE.
    const paddleRow = o.subarray((G.PADDLE_Y / u) * S, (G.PADDLE_Y / u + 1) * S);
    assert.equal(paddleRow.filter((v) => v === BREAKOUT_GRAY.GRAY_PADDLE).length, G.PADDLE_W / u);
    assert.equal(env.peek(0).inPlay, false);
  }
  const pic = makeBreakoutCpu(1);
  pic.reset(0);
  const frame = pic.render(0);
  assert.equal(frame.width, G.FIELD);
  assert.equal(frame.rgb.length, G.FIELD * G.FIELD * 3);
});

Deno.test("breakout: FIRE serves, bricks score by row, lives end the game", () => {
  const env = makeBreakoutCpu(4, { noopMax: 0 });
  env.reset(1);
  // Without FIRE no ball comes and nothing happens.
  for (let t = 0; t < 50; t++) env.step(new Int32Array(4));
  assert.ok([0, 1, 2, 3].every((i) => !env.peek(i).inPlay && env.peek(i).lives === 5));
  // The tracker's games: every reward is a row's points, the score is their sum.
  const scores = [0, 0, 0, 0];
  let ended = 0;
  for (let t = 0; t < 20000 && ended < 4; t++) {
    env.step(Int32Array.from({ length: 4 }, (_, i) => tracker(env, i)));
    for (let i = 0; i < 4; i++) {
      const r = env.reward[i];
      // Up to 4 frames a step, one brick a frame at most.
      assert.ok(r >= 0 && r <= 4 * 7, `reward ${r}`);
      scores[i] += r;
      if (env.terminated[i]) {
        const s = env.episodeStats();
        assert.equal(s.returns[s.count - 1], scores[i]);
        assert.equal(env.peek(i).lives, BREAKOUT_LIVES);
        scores[i] = 0;
        ended++;
      } else {
        assert.equal(env.peek(i).score, scores[i]);
      }
    }
  }
  // The ball speeds up: after many hits its vertical speed is above the serve's.
  const frameSkip1 = makeBreakoutCpu(1, { noopMax: 0, frameSkip: 1 });
  frameSkip1.reset(2);
  let fastest = 0;
  for (let t = 0; t < 8000; t++) {
    frameSkip1.step(Int32Array.of(tracker(frameSkip1, 0)));
    const r = frameSkip1.reward[0];
    assert.ok(r === 0 || BREAKOUT_ROW_POINTS.includes(r), `reward ${r}`);
    fastest = Math.max(fastest, Math.abs(frameSkip1.peek(0).ballVy));
  }
  assert.ok(fastest > G.SPEED_0, `fastest vy ${fastest}`);
});

Deno.test("breakout: a random policy scores little; the ball tracker far more", () => {
  const n = 8;
  const rng = makeRng(5);
  const random = play(makeBreakoutCpu(n), 1, () => rng.int(4), 27000);
  const env = makeBreakoutCpu(n);
  const tracked = play(env, 1, (i) => tracker(env, i), 27000);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(random.every((r) => !Number.isNaN(r)) && tracked.every((r) => !Number.isNaN(r)));
  assert.ok(mean(random) < 5, `random mean ${mean(random)} (${random})`);
  assert.ok(mean(tracked) > 3 * mean(random) + 10, `tracker ${tracked} vs random ${random}`);
});

Deno.test("breakout: options are validated; same seed, same bytes", () => {
  assert.throws(() => makeBreakoutCpu(1, { winPoints: 3 } as never), /unknown option "winPoints"/);
  assert.throws(() => makeBreakoutCpu(1, { frameSize: 64 }), /frameSize = 64; allowed: 84 or 42/);
  const env = makeBreakoutCpu(2);
  env.reset(0);
  assert.throws(
    () => env.step(new Int32Array([0, 4])),
    /action of copy 1 is 4; allowed: an integer in \[0, 3\]/,
  );
  const run = (seed: number) => {
    const e = makeBreakoutCpu(2, { frameSize: 42, stickyProb: 0.25 });
    e.reset(seed);
    const rng = makeRng(3);
    for (let t = 0; t < 200; t++) e.step(Int32Array.from({ length: 2 }, () => rng.int(4)));
    return [...e.obs, ...e.reward];
  };
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
});

for (const seed of [0, 91]) {
  gpuTest(
    `breakout: GPU matches the CPU twin bit for bit (seed ${seed}, N 6, 42x42, 1500 steps)`,
    async (gpu) => {
      const n = 6;
      const options = { frameSize: 42, maxEpisodeSteps: 150 };
      const cpu = makeBreakoutCpu(n, options);
      const env = await makeBreakoutGpu(gpu, n, options);
      const rng = makeRng(seed, 4);
      const stats = await assertGpuMatchesCpu(gpu, packedU8(cpu), env, {
        seed: seed,
        steps: 1500,
        chunk: 500,
        actions: randomActions(n, 4, rng),
      });
      assert.ok(stats.count >= n, `episodes ${stats.count}`);
      assert.ok(stats.truncations > 0, "some games are cut by the time limit");
      assert.ok(stats.returns.some((r) => r > 0), `returns ${stats.returns}`);
    },
  );
}

gpuTest(
  "breakout: GPU matches the CPU twin at 84x84 with sticky actions, frameSkip 3, 3 frames",
  async (gpu) => {
    const n = 3;
    const options = { stickyProb: 0.25, frameSkip: 3, frameStack: 3, maxEpisodeSteps: 90 };
    const cpu = makeBreakoutCpu(n, options);
    const env = await makeBreakoutGpu(gpu, n, options);
    const rng = makeRng(7, 1);
    const stats = await assertGpuMatchesCpu(gpu, packedU8(cpu), env, {
      seed: 11,
      steps: 200,
      chunk: 100,
      actions: randomActions(n, 4, rng),
    });
    assert.ok(stats.count >= n, `episodes ${stats.count}`);
  },
);

Deno.test("breakout: the CPU preset's A3C runs on it end to end (1 worker, 4k steps)", async () => {
  // A smoke test of the path registry → workers → conv net → Breakout, not a learning test:
  // the README says what a learning run reached.
  const result = await trainAsync(
    { ...breakoutCpuPreset(1), totalSteps: 4_000, logEvery: 2_000, seed: 1 },
    { handleSigint: false },
  );
  assert.equal(result.stopReason, "budget");
  assert.ok(result.last.globalSteps >= 4_000, `steps ${result.last.globalSteps}`);
  assert.ok(result.last.episodes >= 10, `episodes ${result.last.episodes}`);
  assert.ok(Number.isFinite(result.last.loss), `loss ${result.last.loss}`);
});
