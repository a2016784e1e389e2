/**
 * Validation of env options at the door: each error is a RangeError naming the env, the
 * option, the value and what is allowed. Used by every env module and the registry.
 *
 * @module
 */

/** Throws unless `numEnvs` is an integer ≥ 1. */
export function checkNumEnvs(env: string, numEnvs: unknown): number {
  if (typeof numEnvs !== "number" || !Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new RangeError(
      `env ${env}: numEnvs must be an integer >= 1, got ${JSON.stringify(numEnvs)}`,
    );
  }
  return numEnvs;
}

/** Throws when `options` is not a plain object or has a key outside `allowed`. */
export function checkOptionKeys(
  env: string,
  options: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new RangeError(`env ${env}: options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new RangeError(
        `env ${env}: unknown option "${key}"; allowed: ${
          allowed.length ? allowed.join(", ") : "(none)"
        }`,
      );
    }
  }
  return options as Record<string, unknown>;
}

/** The integer option `key` of `options` (or `fallback` when absent), checked in [min, max]. */
export function intOption(
  env: string,
  options: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `env ${env}: option ${key} = ${
        JSON.stringify(value)
      }; allowed: an integer in [${min}, ${max}]`,
    );
  }
  return value;
}

/** A boolean option `key` of `env`'s options, `fallback` when absent; anything else throws. */
export function boolOption(
  env: string,
  options: Record<string, unknown>,
  key: string,
  fallback: boolean,
): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new RangeError(
      `env ${env}: option ${key} = ${JSON.stringify(value)}; allowed: true or false`,
    );
  }
  return value;
}

/** Options of an env whose one option is its time limit (CartPole, Pendulum). */
export interface TimeLimitOptions {
  /** Time limit in steps (allowed 1..1,000,000; each env states its default). */
  readonly maxEpisodeSteps?: number;
}

/** Option names of `TimeLimitOptions`, for validation. */
export const TIME_LIMIT_OPTION_KEYS: readonly string[] = ["maxEpisodeSteps"];

/** Validated time-limit options of `env`, `fallback` steps when the limit is absent. */
export function checkTimeLimitOptions(
  env: string,
  options: TimeLimitOptions | undefined,
  fallback: number,
): Required<TimeLimitOptions> {
  const o = checkOptionKeys(env, options, TIME_LIMIT_OPTION_KEYS);
  return { maxEpisodeSteps: intOption(env, o, "maxEpisodeSteps", fallback, 1, 1e6) };
}
