/**
 * Elementwise activations, forward and backward: the TypeScript twin of
 * `shaders/activations.wgsl`. Backward takes the forward output `y`, from which each
 * derivative follows (ReLU: y > 0; ELU with alpha 1: y > 0 ? 1 : y + 1; tanh: 1 − y²).
 *
 * @module
 */

import { checkLength, type Floats } from "./types.ts";

/** Activation functions with their WGSL pipeline-constant codes. */
export const ACTIVATIONS = { relu: 0, elu: 1, tanh: 2, identity: 3 } as const;

/** Name of an activation. */
export type Activation = keyof typeof ACTIVATIONS;

/** Throws unless `name` is a known activation. */
export function checkActivation(name: string): asserts name is Activation {
  if (!(name in ACTIVATIONS)) {
    throw new RangeError(
      `activation: got ${JSON.stringify(name)}, allowed: ${Object.keys(ACTIVATIONS).join(", ")}`,
    );
  }
}

/** The arguments of {@link activationForward} (the bindings of `activations.wgsl`'s forward). */
export interface ActivationForwardArgs {
  /** The activation. */
  act: Activation;
  /** Input. */
  x: Floats;
  /** Output, x's length; may be `x` itself. */
  y: Floats;
}

/** y[i] = act(x[i]). `x` and `y` may be the same array. */
export function activationForward({ act, x, y }: ActivationForwardArgs): void {
  checkLength(`${act}.forward`, "y", y.length, x.length);
  const n = x.length;
  switch (act) {
    case "relu":
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
      break;
    case "elu":
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : Math.expm1(x[i]);
      break;
    case "tanh":
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      break;
    case "identity":
      if (y !== x) y.set(x);
      break;
  }
}

/** The arguments of {@link activationBackward} (the bindings of `activations.wgsl`'s backward). */
export interface ActivationBackwardArgs {
  /** The activation. */
  act: Activation;
  /** The forward output. */
  y: Floats;
  /** Gradient of the loss with respect to y. */
  dy: Floats;
  /** Gradient with respect to x (written; may be `dy` itself). */
  dx: Floats;
}

/** dx[i] = dy[i] · act'(x[i]), computed from the forward output y. */
export function activationBackward({ act, y, dy, dx }: ActivationBackwardArgs): void {
  checkLength(`${act}.backward`, "dy", dy.length, y.length);
  checkLength(`${act}.backward`, "dx", dx.length, y.length);
  const n = y.length;
  switch (act) {
    case "relu":
      for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
      break;
    case "elu":
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (y[i] > 0 ? 1 : y[i] + 1);
      break;
    case "tanh":
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      break;
    case "identity":
      if (dx !== dy) dx.set(dy);
      break;
  }
}
