/**
 * The GPU layer: device acquisition and backend choice, bundled shaders, pipelines, buffers,
 * static plans and timing.
 *
 * @module
 */

export * from "./device.ts";
export * from "./buffers.ts";
export * from "./pipelines.ts";
export * from "./plan.ts";
export * from "./timing.ts";
export * from "./copy.ts";
export * from "./flags.ts";
