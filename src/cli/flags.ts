/**
 * Command-line flags for config objects: strict number parsing, kebab-case names, list and
 * key=value options, and the generation of one flag per config field from an algorithm's
 * defaults (numbers, booleans as `--x`/`--no-x`, number lists as "64,64", strings).
 *
 * @module
 */

import { InvalidArgumentError } from "commander";

const NUMBER = /^[+-]?(\d+(_\d+)*(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a decimal number strictly ("7e-4", "100_000", "-1.5"); refuses anything else ("abc",
 * "1e", "", "0x10", "Infinity") with a RangeError naming `what` and the text.
 */
export function parseNumberStrict(text: string, what: string): number {
  const t = text.trim();
  if (!NUMBER.test(t)) {
    throw new RangeError(`${what}: ${JSON.stringify(text)} is not a number`);
  }
  return Number(t.replaceAll("_", ""));
}

/** Parses a comma-separated list of numbers ("64,64"), each strictly. */
export function parseNumberList(text: string, what: string): number[] {
  if (text.trim() === "") throw new RangeError(`${what}: empty list`);
  return text.split(",").map((part) => parseNumberStrict(part, what));
}

/** Parses "key=value" with a strict number value into `into` (returned). */
export function parseKeyValue(
  text: string,
  into: Record<string, number>,
  what: string,
): Record<string, number> {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new RangeError(`${what}: ${JSON.stringify(text)} is not key=value`);
  const key = text.slice(0, eq).trim();
  into[key] = parseNumberStrict(text.slice(eq + 1), `${what} ${key}`);
  return into;
}

/** camelCase → kebab-case: "maxGradNorm" → "max-grad-norm". */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Wraps a parser so commander reports its error as an invalid argument of the flag
 * (commander's message names the flag and the value).
 */
export function argParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/**
 * Adds one option to a command: flags ("--lr <number>"), a description and an optional value
 * parser (for commander: `(f, d, p) => p ? cmd.option(f, d, p) : cmd.option(f, d)`).
 */
export type AddOption = (
  flags: string,
  description: string,
  parse?: (value: string) => unknown,
) => void;

/** A generated config flag: the config field and the flag text. */
export interface ConfigFlag {
  /** Config field, camelCase. */
  readonly field: string;
  /** Flag, kebab-case with "--". */
  readonly flag: string;
}

/** One algorithm's config fields for {@link addConfigFlags}: its name, defaults and help. */
export interface FlagSource {
  /** Algorithm name, shown where its default differs from the first algorithm's. */
  readonly name: string;
  /** Every config field with its default. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Help text per field. */
  readonly help: Readonly<Record<string, string>>;
}

const showDefault = (value: unknown): string =>
  Array.isArray(value) ? value.join(",") : String(value);

/**
 * Adds one flag per config field of `sources` (skipping `skip`) with `addOption`: numbers
 * parsed strictly, booleans as `--field` / `--no-field`, number arrays as comma lists, strings
 * as is. A field shared by several algorithms gets one flag whose help names each algorithm's
 * default where it differs ("default 0.5; a3c: 40"). No commander defaults: a flag not given
 * leaves the field to the preset and defaults. Returns the flags by field.
 */
export function addConfigFlags(
  addOption: AddOption,
  sources: readonly FlagSource[],
  skip: ReadonlySet<string>,
): Map<string, ConfigFlag> {
  const added = new Map<string, ConfigFlag>();
  // Per field: the first default, its help, and the algorithms by each differing default.
  const fields = new Map<
    string,
    { value: unknown; help?: string; others: Map<string, string[]> }
  >();
  for (const source of sources) {
    for (const [field, value] of Object.entries(source.defaults)) {
      if (skip.has(field)) continue;
      const seen = fields.get(field);
      if (!seen) fields.set(field, { value, help: source.help[field], others: new Map() });
      else if (showDefault(seen.value) !== showDefault(value)) {
        const names = seen.others.get(showDefault(value)) ?? [];
        seen.others.set(showDefault(value), [...names, source.name]);
      }
    }
  }
  for (const [field, { value, help, others }] of fields) {
    const flag = `--${kebab(field)}`;
    const otherDefaults = [...others].map(([v, names]) => `${names.join(", ")}: ${v}`);
    const describe = (what: string) =>
      `${help ?? field} (default ${[what, ...otherDefaults].join("; ")})`;
    if (typeof value === "number") {
      addOption(
        `${flag} <number>`,
        describe(String(value)),
        argParser((t) => parseNumberStrict(t, flag)),
      );
    } else if (typeof value === "boolean") {
      addOption(flag, describe(String(value)));
      addOption(`--no-${kebab(field)}`, `turn ${flag} off`);
    } else if (Array.isArray(value)) {
      addOption(
        `${flag} <list>`,
        describe(value.join(",")),
        argParser((t) => parseNumberList(t, flag)),
      );
    } else if (typeof value === "string") {
      addOption(`${flag} <value>`, describe(value));
    } else {
      continue; // objects (envOptions) get a hand-written flag
    }
    added.set(field, { field, flag });
  }
  return added;
}

/** The config fields the user set among the generated flags, from commander's `opts()`. */
export function configOverrides(
  opts: Record<string, unknown>,
  flags: ReadonlyMap<string, ConfigFlag>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of flags.keys()) {
    if (opts[field] !== undefined) out[field] = opts[field];
  }
  return out;
}
