/**
 * Shared types of the neural-network twins.
 *
 * @module
 */

/**
 * A flat array of floats. The CPU twins run on `Float32Array` in training and on
 * `Float64Array` in the finite-difference gradient checks.
 */
export type Floats = Float32Array | Float64Array;

/** Throws a RangeError naming the kernel, the argument and both sizes when they differ. */
export function checkLength(kernel: string, arg: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new RangeError(
      `${kernel}: ${arg} has ${actual} elements, expected ${expected}`,
    );
  }
}

/** Throws a RangeError naming the kernel, the argument and both shapes when they differ. */
export function checkShape(
  kernel: string,
  arg: string,
  actualLength: number,
  shape: readonly number[],
): void {
  const expected = shape.reduce((a, b) => a * b, 1);
  if (actualLength !== expected) {
    throw new RangeError(
      `${kernel}: ${arg} has ${actualLength} elements, expected shape [${shape.join(", ")}] ` +
        `(${expected} elements)`,
    );
  }
}

/** Throws a RangeError naming the kernel and field unless `value` is a positive integer. */
export function checkPositiveInt(kernel: string, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${kernel}: ${field} must be a positive integer, got ${value}`);
  }
}
