/**
 * The command line as a library: run it in-process ({@link main}), plug in algorithms
 * ({@link registerAlgo}), and reuse its parts — the progress reporter, run folders, metrics,
 * the learning-curve and GPU/CPU bar-chart SVGs, CPU policies for evaluation.
 *
 * @example Run the command line in-process
 * ```ts
 * import { main } from "@webgpu-rl/core/cli";
 * const code = await main(["train", "--env", "catch", "--steps", "20000", "--backend", "cpu"]);
 * console.log("exit code", code);
 * ```
 *
 * @module
 */

export * from "./algos.ts";
export * from "./bar_chart_svg.ts";
export * from "./curve_svg.ts";
export * from "./flags.ts";
export * from "./main.ts";
export * from "./policy.ts";
export * from "./progress.ts";
export * from "./run_dir.ts";
