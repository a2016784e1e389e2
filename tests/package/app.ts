/**
 * A user's program: imports the package by its name only (`@webgpu-rl/core`), as from JSR,
 * and trains A2C on Catch for a few iterations on the CPU. Run by `package_test.ts` from a
 * Deno workspace outside the repository whose members are this app and the package's
 * published files.
 *
 * @module
 */

import { selectBackend, trainA2c } from "@webgpu-rl/core";

const backend = await selectBackend("cpu");
const result = await trainA2c({
  env: "catch",
  backend: "cpu",
  totalSteps: 800,
  logEvery: 5,
  seed: 4,
});
console.log(
  `trained ${result.config.env} on ${backend.backend}: ${result.last.steps} steps, ` +
    `${result.last.episodes} episodes, stop ${result.stopReason}`,
);
result.runner.dispose();
