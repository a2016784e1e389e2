/**
 * Pong's picture for people: the full 160 × 160 playfield in Atari colours with the score,
 * drawn from a copy's named state (`PongCpu.peek`). Not the agent's observation (that is the
 * arcade layer's u8 frame stack) and not bit-exact across anything.
 *
 * @module
 */

import { blankFrame, drawNumber, fillRect, type Rgb } from "./draw.ts";
import { PONG_GEOMETRY as G, type PongState } from "./pong.ts";
import type { Frame } from "./types.ts";

/** Atari colours of Pong's picture for people. */
export type PongColours = {
  /** The playfield. */
  readonly background: Rgb;
  /** The agent's paddle and score. */
  readonly agent: Rgb;
  /** The opponent's paddle and score. */
  readonly opponent: Rgb;
  /** The ball. */
  readonly ball: Rgb;
  /** The top and bottom walls. */
  readonly walls: Rgb;
};

/** Atari colours of the picture for people. */
export const PONG_COLOURS: PongColours = {
  background: [144, 72, 17],
  agent: [92, 186, 92],
  opponent: [213, 130, 74],
  ball: [236, 236, 236],
  walls: [236, 236, 236],
};

/** The full 160 × 160 playfield of one Pong state in Atari colours, with the score. */
export function renderPong(s: PongState): Frame {
  const C = PONG_COLOURS;
  const F = G.FIELD;
  const frame = blankFrame(F, F, C.background);
  fillRect(frame, 0, 0, F, G.WALL, C.walls);
  fillRect(frame, 0, F - G.WALL, F, F, C.walls);
  drawNumber(frame, s.scoreOpp, 40, G.WALL + 4, C.opponent);
  drawNumber(frame, s.scoreAgent, 104, G.WALL + 4, C.agent);
  const ay = s.agentY >> 8;
  const oy = s.oppY >> 8;
  fillRect(frame, G.AGENT_X, ay, G.AGENT_X + G.PADDLE_W, ay + G.PADDLE_H, C.agent);
  fillRect(frame, G.OPP_X, oy, G.OPP_X + G.PADDLE_W, oy + G.PADDLE_H, C.opponent);
  const bx = s.ballX >> 8;
  const by = s.ballY >> 8;
  fillRect(frame, bx, by, bx + G.BALL_W, by + G.BALL_H, C.ball);
  return frame;
}
