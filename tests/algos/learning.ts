/**
 * The shared check of the learning tests: a run of `config` (seed 1, lr held, SIGINT left
 * alone) must reach a mean return of 100 games of `target` within `budget` global steps.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type AsyncOverrides, trainAsync } from "../../src/algos/async/mod.ts";

/** Trains `config` for at most `budget` steps and asserts that it stopped on `target`. */
export async function assertLearns(
  config: AsyncOverrides,
  { budget, target }: { budget: number; target: number },
): Promise<void> {
  const result = await trainAsync(
    // lr held at the preset's 7e-4: the presets anneal it over their own, longer budgets.
    { ...config, totalSteps: budget, annealLr: false, seed: 1 },
    { handleSigint: false, targetReturn: target },
  );
  assert.equal(
    result.stopReason,
    "target",
    `stopped by ${result.stopReason} at ${result.last.globalSteps} steps with a mean return ` +
      `of ${result.last.returnMean100}`,
  );
}
