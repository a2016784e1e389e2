/**
 * The GPU-vs-CPU benchmark: the same work on each backend — matmul, learner steps, env steps
 * (Pong's kernels timed apart), A2C end to end, A3C's scaling over CPU workers, and
 * the time to score (wall time and env steps to a stated return) — as rows with units, a markdown table with
 * GPU/CPU ratios, and a JSON report.
 *
 * @module
 */

export * from "./row.ts";
export * from "./run.ts";
export * from "./matmul.ts";
export * from "./gemm.ts";
export * from "./learner.ts";
export * from "./envs.ts";
export * from "./a2c.ts";
export * from "./a3c.ts";
export * from "./score.ts";
