/**
 * Validation of the actions handed to a CPU env's `step`, shared by every env: one action per
 * copy, each in the env's action space, refused with the env, the copy and what is allowed.
 *
 * @module
 */

/** Throws unless `actions` holds `numEnvs` integers in [0, numActions). */
export function checkDiscreteActions(
  env: string,
  actions: ArrayLike<number>,
  numEnvs: number,
  numActions: number,
): void {
  checkActionCount(env, actions, numEnvs, String(numEnvs));
  for (let i = 0; i < numEnvs; i++) {
    const a = actions[i];
    if (!Number.isInteger(a) || a < 0 || a >= numActions) {
      throw new RangeError(
        `env ${env}: action of copy ${i} is ${a}; allowed: an integer in [0, ${numActions - 1}]`,
      );
    }
  }
}

/** Throws unless `actions` holds `numEnvs` numbers, none NaN (`allowed` says what they mean). */
export function checkContinuousActions(
  env: string,
  actions: ArrayLike<number>,
  numEnvs: number,
  allowed: string,
): void {
  checkActionCount(env, actions, numEnvs, `[${numEnvs}, 1]`);
  for (let i = 0; i < numEnvs; i++) {
    if (Number.isNaN(actions[i])) {
      throw new RangeError(`env ${env}: action of copy ${i} is NaN; allowed: ${allowed}`);
    }
  }
}

function checkActionCount(env: string, actions: ArrayLike<number>, n: number, shape: string) {
  if (actions.length !== n) {
    throw new RangeError(`env ${env}: actions has ${actions.length} elements, expected ${shape}`);
  }
}
