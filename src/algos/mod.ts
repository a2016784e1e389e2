/**
 * Algorithms: GAE(γ, λ) returns; A2C on the GPU (one static plan per iteration) and on
 * the CPU twins, with its typed config, checkpoints and training loop; the asynchronous
 * methods on Deno workers; the config field tables every algorithm's config is checked by.
 *
 * @example Train A2C on Catch
 * ```ts
 * import { trainA2c } from "@webgpu-rl/core/algos";
 * const result = await trainA2c({ env: "catch", totalSteps: 20_000 });
 * console.log(result.last.returnMean100);
 * ```
 *
 * @module
 */

export * from "./fields.ts";
export * from "./config_fields.ts";
export * from "./gae.ts";
export * from "./gae_gpu.ts";
export * from "./a2c/config.ts";
export * from "./a2c/common.ts";
export * from "./a2c/optimizer.ts";
export * from "./a2c/cpu.ts";
export * from "./a2c/gpu.ts";
export * from "./a2c/train.ts";
export * from "./a2c/checkpoint.ts";
export * from "./async/mod.ts";
