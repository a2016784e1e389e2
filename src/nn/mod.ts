/**
 * Neural-network kernels: each a TypeScript twin (the CPU backend and the test reference)
 * and a recorder of its WGSL kernels for the GPU backend.
 *
 * @module
 */

export * from "./types.ts";
export * from "./activations.ts";
export * from "./activations_gpu.ts";
export * from "./linear.ts";
export * from "./linear_gpu.ts";
export * from "./lstm.ts";
export * from "./lstm_gpu.ts";
export * from "./model_spec.ts";
