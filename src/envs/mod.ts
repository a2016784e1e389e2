/**
 * Environments: vectorised N copies stepped in lockstep, each as a GPU kernel family with a
 * bit-exact TypeScript twin; a registry by name; rendering to PNG and GIF.
 *
 * @module
 */

export * from "./types.ts";
export * from "./registry.ts";
export * from "./render.ts";
export type { Rgb } from "./draw.ts";
export * from "./episodes.ts";
export * from "./gpu_env.ts";
export * from "./catch.ts";
export * from "./cartpole.ts";
export * from "./pendulum.ts";
export * from "./pong.ts";
export * from "./pong_picture.ts";
export * from "./breakout.ts";
export * from "./scaffold.ts";
export * from "./arcade.ts";
