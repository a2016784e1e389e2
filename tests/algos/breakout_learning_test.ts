import { breakoutCpuPreset } from "../../src/algos/async/mod.ts";
import { assertLearns } from "./learning.ts";

// Breakout learned from pixels, in a budget CI can afford: the CPU preset (A3C, 2 workers,
// 42×42×4 frames, the FF net, rewards clipped) must raise the mean return of the last 100
// games to 2, where a random policy scores 0.73 ± 0.90 a game (README, "Environments"). The
// preset's three seeds (2026-12-03, `docs/breakout/preset_seed*`) stayed near 0.8 for a while,
// then passed 2 at 260k, 300k and 400k global steps and 10 at 300k–550k. A3C with two workers
// does not repeat a run exactly, so the budget is 2.5× the slowest; the test stops at the
// target. Fails when the learner, the net's view of the frames or Breakout breaks.
const BUDGET = 1_000_000;
const TARGET = 2;

Deno.test(`a3c learns Breakout from pixels: mean return of 100 games ≥ ${TARGET} within ${BUDGET} steps`, async () => {
  await assertLearns(breakoutCpuPreset(2), { budget: BUDGET, target: TARGET });
});
