/**
 * The A2C configuration: one typed object ({@link A2cConfig}) whose fields, defaults (the A3C
 * paper's and common A2C practice: Stable-Baselines3, CleanRL) and bounds are the table
 * `A2C_FIELDS` (`../config_fields.ts`; listed in `docs/config.md`), presets per env, and
 * validation at the door that names the field, the value and what is allowed.
 *
 * @module
 */

import type { A2cConfig } from "../config_types.ts";
import { A2C_FIELDS } from "../config_fields.ts";
import { checkFields, defaultsOf, unknownFields } from "../fields.ts";

export type { A2cConfig, SharedConfig } from "../config_types.ts";

/** Defaults shared by every env; presets override per env. */
export const A2C_DEFAULTS: Readonly<A2cConfig> = defaultsOf(A2C_FIELDS);

/** Per-env presets (tuned on these envs; see the README's table). */
export const A2C_PRESETS: Readonly<Record<string, Partial<A2cConfig>>> = {
  catch: {
    numEnvs: 16,
    rolloutSteps: 5,
    totalSteps: 60_000,
    lr: 7e-3,
    annealLr: false,
    hidden: [32],
  },
  cartpole: { numEnvs: 8, rolloutSteps: 5, totalSteps: 200_000, lr: 3e-3, entropyCoef: 0 },
  pendulum: {
    numEnvs: 16,
    rolloutSteps: 8,
    totalSteps: 1_000_000,
    lr: 7e-4,
    gamma: 0.9,
    gaeLambda: 0.9,
    entropyCoef: 0,
  },
  pong: { numEnvs: 256, rolloutSteps: 5, totalSteps: 20_000_000, lr: 7e-4, net: "ff" },
  breakout: { numEnvs: 256, rolloutSteps: 5, totalSteps: 20_000_000, lr: 7e-4, net: "ff" },
};

/**
 * Resolves a config: defaults, then the env's preset, then `overrides`. Refuses unknown
 * fields and values outside their field's bounds (`A2C_FIELDS`) with one message listing
 * every problem (field, value, allowed), before any GPU work.
 */
export function resolveA2cConfig(overrides: Partial<A2cConfig> = {}): A2cConfig {
  const env = overrides.env ?? A2C_DEFAULTS.env;
  const config: A2cConfig = { ...A2C_DEFAULTS, ...(A2C_PRESETS[env] ?? {}), ...overrides };
  const problems = [
    ...unknownFields(A2C_FIELDS, overrides).map((key) =>
      `${key}: unknown field; allowed: ${Object.keys(A2C_FIELDS).join(", ")}`
    ),
    ...checkFields(A2C_FIELDS, config),
  ];
  if (problems.length) throw new RangeError(`invalid A2C config:\n  ${problems.join("\n  ")}`);
  return config;
}
