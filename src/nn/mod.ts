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
export * from "./gemm.ts";
export * from "./lstm.ts";
export * from "./lstm_gpu.ts";
export * from "./model_spec.ts";
export * from "./actor_critic.ts";
export * from "./actor_critic_gpu.ts";
export * from "./sample.ts";
export * from "./sample_gpu.ts";
export * from "./gaussian.ts";
export * from "./gaussian_gpu.ts";
export * from "./q_head.ts";
export * from "./q_head_gpu.ts";
export * from "./params.ts";
export * from "./optim.ts";
export * from "./conv2d.ts";
export * from "./net_cpu.ts";
export * from "./conv2d_gpu.ts";
export * from "./optim_gpu.ts";
export * from "./safetensors.ts";
export * from "./net_gpu.ts";
