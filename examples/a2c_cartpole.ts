/**
 * A2C learns CartPole (or any registered env) on the CPU twins, printing one line per log
 * interval. Run: `deno run -A examples/a2c_cartpole.ts --env cartpole --steps 150000`.
 *
 * @module
 */

import { Command } from "commander";
import { resolveA2cConfig } from "../src/algos/a2c/config.ts";
import { trainA2c } from "../src/algos/a2c/train.ts";

const program = new Command()
  .name("a2c_cartpole")
  .description("Train A2C on a state-vector env and print the learning progress.")
  .option("--env <name>", "environment: catch, cartpole", "cartpole")
  .option("--steps <n>", "environment-step budget", "150000")
  .option("--seed <n>", "seed", "1")
  .option("--envs <n>", "environments stepped in lockstep (default: the env's preset)")
  .option("--target <r>", "stop when the mean return of the last 100 episodes reaches this")
  .addHelpText(
    "after",
    "\nExample:\n  deno run -A examples/a2c_cartpole.ts --env catch --steps 60000",
  );
program.parse(["deno", "a2c", ...Deno.args]);
const opts = program.opts();

const overrides = {
  env: opts.env as string,
  backend: "cpu" as const,
  totalSteps: Number(opts.steps),
  seed: Number(opts.seed),
  ...(opts.envs ? { numEnvs: Number(opts.envs) } : {}),
};
// Refuse bad values before any work, naming the field (as `rl train` does).
try {
  resolveA2cConfig(overrides);
  if (opts.target !== undefined && !Number.isFinite(Number(opts.target))) {
    throw new RangeError(`--target: got ${JSON.stringify(opts.target)}, allowed: a number`);
  }
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  Deno.exit(1);
}
const result = await trainA2c(overrides, {
  onLog(r) {
    const mean = Number.isNaN(r.returnMean100) ? "   n/a" : r.returnMean100.toFixed(2).padStart(7);
    console.log(
      `steps ${String(r.steps).padStart(8)}  ${
        Math.round(r.stepsPerSecond).toString().padStart(7)
      } steps/s` +
        `  episodes ${String(r.episodes).padStart(6)}  return(100) ${mean}  entropy ${
          r.entropy.toFixed(3)
        }`,
    );
  },
}, opts.target === undefined ? undefined : Number(opts.target));
console.log(
  `done (${result.stopReason}) on ${result.backend.backend}: ${result.last.steps} steps in ` +
    `${result.last.wallSeconds.toFixed(1)} s, mean return of the last 100 episodes ` +
    `${result.last.returnMean100.toFixed(2)}`,
);
