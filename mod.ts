/**
 * webgpu-rl: reinforcement learning on the GPU through WebGPU, for Deno.
 *
 * The methods of "Asynchronous Methods for Deep Reinforcement Learning" (Mnih et al., 2016):
 * WGSL compute kernels with TypeScript twins, environments stepped on the GPU, A2C and the
 * asynchronous family on workers.
 *
 * @example Pick a backend
 * ```ts
 * import { selectBackend } from "@webgpu-rl/core";
 * const choice = await selectBackend("auto");
 * console.log(choice.backend, choice.reason);
 * ```
 *
 * @module
 */

export * from "./src/gpu/mod.ts";
export * from "./src/nn/mod.ts";
export * from "./src/util/rng.ts";
export * from "./src/envs/mod.ts";
export * from "./src/algos/mod.ts";
