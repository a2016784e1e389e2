/**
 * The shape of one benchmark figure, shared by every benchmark module.
 *
 * @module
 */

/** One measured figure. */
export interface BenchRow {
  /** Benchmark family: "matmul", "learner", "envs", "pong kernels", "a2c", "a3c". */
  group: string;
  /** What was measured, e.g. "A·B big kernel", "cartpole". */
  name: string;
  /** Where it ran. */
  backend: "webgpu" | "cpu";
  /** Problem shape, e.g. "512x512x512" (m×n×k) or "N=1024". */
  shape: string;
  /** The figure. */
  value: number;
  /** Its unit, e.g. "GFLOP/s", "env-steps/s". */
  unit: string;
  /** When it was measured (ISO 8601), in a written report. */
  date?: string;
}
