/**
 * Where Pong's points are won and lost: is +18 within reach of a player, and how does a trained
 * agent miss? Two measurements, both on the CPU form of the game (the state is read with `peek`):
 *
 * - `--aimer`: a scripted player that knows the state. It predicts where the ball meets its
 *   paddle's face (bouncing off the walls) and places the paddle's centre `off` units from
 *   that point, on the side that sends the ball away from the opponent (a steep return, rule 4
 *   of `src/envs/pong.ts`). It moves only when that brings the paddle closer (the paddle moves
 *   3 units a frame, 12 an agent step at frame skip 4, 6 at `--frame-skip 2`). Prints the mean
 *   return of 8 whole games for each offset: the game's ceiling for a player that aims with that
 *   control step.
 * - `--run DIR`: the run's checkpoint plays `--points` points (greedy, or sampled with
 *   `--sample`); at each ball that got past the agent's paddle it records the ball's centre
 *   minus the paddle's centre on the step the ball crossed the face. A ball is returned when
 *   that distance is under 10 units (half the paddle, 8, plus half the ball, 2): misses at 10 to
 *   17 are aims that went a little too far, larger ones a paddle that was elsewhere.
 *
 * ```sh
 * deno run -A scripts/pong_points.ts --aimer
 * deno run -A scripts/pong_points.ts --aimer --frame-skip 2
 * deno run -A scripts/pong_points.ts --run runs/a3c-pong-s2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolveAsyncConfig } from "../src/algos/async/config.ts";
import { TARGET_PREFIX } from "../src/algos/async/checkpoint.ts";
import { makeAsyncNet } from "../src/algos/async/learner.ts";
import { makeCpuPolicy } from "../src/cli/policy.ts";
import { readRunInfo, RUN_FILES, runPath } from "../src/cli/run_dir.ts";
import { makePongCpu, PONG_GEOMETRY as G, type PongCpu, type PongState } from "../src/envs/pong.ts";
import { loadCheckpoint } from "../src/nn/safetensors.ts";

const SUB = 256;
/** Under this |ball centre − paddle centre| (units) a ball at the face is returned. */
const REACH = G.PADDLE_H / 2 + G.BALL_H / 2;

/** The ball's centre y (units) when its right edge reaches the agent's face; NaN if it moves away. */
export function crossingY(s: PongState): number {
  let x = s.ballX / SUB, y = s.ballY / SUB, vy = s.ballVy / SUB;
  const vx = s.ballVx / SUB;
  if (vx <= 0) return NaN;
  const top = G.WALL, bottom = G.FIELD - G.WALL - G.BALL_H;
  while (x + G.BALL_W < G.AGENT_X) {
    x += vx;
    y += vy;
    if (y < top) [y, vy] = [2 * top - y, -vy];
    if (y > bottom) [y, vy] = [2 * bottom - y, -vy];
  }
  return y + G.BALL_H / 2;
}

/** The aiming player's action (2 up, 3 down, 0 stay) for copy `i`. */
export function aim(env: PongCpu, i: number, off: number, frameSkip: number): number {
  const s = env.peek(i);
  const y = crossingY(s);
  const paddle = s.agentY / SUB + G.PADDLE_H / 2;
  // Below the paddle's centre sends the ball down: do that while the opponent is high.
  const down = s.oppY / SUB + G.PADDLE_H / 2 < G.FIELD / 2;
  const want = Number.isNaN(y) ? G.FIELD / 2 : y + (down ? -off : off);
  const step = G.AGENT_SPEED / SUB * frameSkip / 2; // move only if it ends closer
  return want < paddle - step ? 2 : want > paddle + step ? 3 : 0;
}

/** Plays one whole game on each of `n` copies with `policy`; returns each copy's first return. */
function games(
  n: number,
  seed: number,
  frameSkip: number,
  policy: (env: PongCpu, i: number) => number,
): number[] {
  // The time limit in frames as at frame skip 4 (27,000 agent steps), so no game is cut.
  const maxEpisodeSteps = Math.ceil(27_000 * 4 / frameSkip);
  const env = makePongCpu(n, { frameSize: 42, frameSkip, maxEpisodeSteps });
  env.reset(seed);
  const first = new Array<number>(n).fill(NaN);
  const actions = new Int32Array(n);
  for (let t = 0; t < maxEpisodeSteps && first.some(Number.isNaN); t++) {
    for (let i = 0; i < n; i++) actions[i] = policy(env, i);
    env.step(actions);
    const ended = [...Array(n).keys()].filter((i) => env.terminated[i] || env.truncated[i]);
    const r = env.episodeStats().returns;
    ended.forEach((i, k) => {
      if (Number.isNaN(first[i])) first[i] = r[r.length - ended.length + k];
    });
  }
  return first;
}

async function misses(dir: string, points: number, greedy: boolean): Promise<void> {
  const info = await readRunInfo(dir);
  if (info.env !== "pong") {
    throw new RangeError(`--run ${dir}: a ${info.env} run; allowed: a pong run`);
  }
  const config = resolveAsyncConfig(info.config as Parameters<typeof resolveAsyncConfig>[0]);
  const { spec, layout } = makeAsyncNet(config);
  const ck = await loadCheckpoint(runPath(dir, RUN_FILES.checkpoint), layout, {
    extraPrefixes: ["optim.", TARGET_PREFIX],
  });
  const policy = makeCpuPolicy(spec, layout, ck.params);
  const env = makePongCpu(1, config.envOptions);
  env.reset(11);
  const actions = policy.makeActions(env.spec, 1) as Int32Array;
  const past = (s: PongState) => s.ballVx > 0 && s.ballX / SUB + G.BALL_W > G.AGENT_X;
  const gaps: number[] = [];
  let won = 0, lost = 0;
  for (let t = 0; won + lost < points && t < 100 * points * 200; t++) {
    policy.act(env.spec, env.obs, 1, actions, { greedy, seed: 5, counter: t });
    const before = env.peek(0);
    env.step(actions);
    const s = env.peek(0);
    if (past(s) && !past(before)) {
      gaps.push(Math.round(s.ballY / SUB + G.BALL_H / 2 - (s.agentY / SUB + G.PADDLE_H / 2)));
    }
    if (env.reward[0] > 0) won++;
    if (env.reward[0] < 0) lost++;
  }
  const near = gaps.filter((g) => Math.abs(g) >= REACH && Math.abs(g) < REACH + 8).length;
  console.log(`${dir} (${greedy ? "greedy" : "sampled"}): won ${won}, lost ${lost} points`);
  console.log(
    `balls past the paddle: ${gaps.length}; ${near} of them by ${REACH} to ${
      REACH + 7
    } units (aimed a little too far)`,
  );
  console.log(`ball centre − paddle centre at the face: ${gaps.sort((a, b) => a - b).join(" ")}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      aimer: { type: "boolean", default: false },
      run: { type: "string" },
      points: { type: "string", default: "200" },
      sample: { type: "boolean", default: false },
      "frame-skip": { type: "string", default: "4" },
    },
  });
  const points = Number(values.points);
  if (!Number.isInteger(points) || points < 1 || points > 10_000) {
    throw new RangeError(`--points ${values.points}: allowed an integer in 1..10000`);
  }
  const frameSkip = Number(values["frame-skip"]);
  if (!Number.isInteger(frameSkip) || frameSkip < 1 || frameSkip > 8) {
    throw new RangeError(`--frame-skip ${values["frame-skip"]}: allowed an integer in 1..8`);
  }
  if (!values.aimer && values.run === undefined) {
    throw new RangeError(
      "say --aimer, --run DIR or both (deno run -A scripts/pong_points.ts --aimer)",
    );
  }
  if (values.aimer) {
    for (const off of [0, 2, 3, 4, 5, 6, 7]) {
      const r = games(8, 2, frameSkip, (env, i) => aim(env, i, off, frameSkip));
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      console.log(
        `aimer, frame skip ${frameSkip}, offset ${off}: mean return ${
          mean.toFixed(2)
        } over 8 games (${r.join(" ")})`,
      );
    }
  }
  if (values.run !== undefined) await misses(values.run, points, !values.sample);
}
