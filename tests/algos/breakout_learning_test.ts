import { breakoutCpuPreset } from "../../src/algos/async/mod.ts";
import { assertLearns } from "./learning.ts";

// Breakout learned from pixels, in a budget CI can afford: the CPU preset (A3C, 2 workers,
// 42×42×4 frames, the FF net, rewards clipped) must raise the mean return of the last 100
// games to 2, where a random policy scores 0.73 ± 0.90 a game (README, "Environments"). A run
// on 2026-12-02 (seed 1) stayed near 0.8 up to 260k global steps, then passed 2 at about 300k
// and 10 at 340k. Fails when the learner, the net's view of the frames or Breakout breaks.
const BUDGET = 600_000;
const TARGET = 2;

Deno.test(`a3c learns Breakout from pixels: mean return of 100 games ≥ ${TARGET} within ${BUDGET} steps`, async () => {
  await assertLearns(breakoutCpuPreset(2), { budget: BUDGET, target: TARGET });
});
