/**
 * Command-line flags for config objects: strict number parsing, kebab-case names, list and
 * key=value options, and the generation of one flag per config field from an algorithm's
 * field table (numbers, booleans as `--x`/`--no-x`, number lists as "64,64", strings), its
 * help from the field's doc, default and bounds.
 *
 * @module
 */

import { InvalidArgumentError } from "commander";
import { type AnyFieldTable, describeAllowed, type Field } from "../algos/fields.ts";

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

/** Parses "key=value" with a strict number value, or `true` / `false`, into `into` (returned). */
export function parseKeyValue(
  text: string,
  into: Record<string, number | boolean>,
  what: string,
): Record<string, number | boolean> {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new RangeError(`${what}: ${JSON.stringify(text)} is not key=value`);
  const key = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  if (value === "true" || value === "false") into[key] = value === "true";
  else if (NUMBER.test(value)) into[key] = parseNumberStrict(value, `${what} ${key}`);
  else {
    throw new RangeError(`${what} ${key}: ${JSON.stringify(value)} is not a number, true or false`);
  }
  return into;
}

/** camelCase → kebab-case: "maxGradNorm" → "max-grad-norm". */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Fields whose flag is not their kebab-case name (`rl train` writes these by hand). */
const FLAG_NAMES: Readonly<Record<string, string>> = {
  totalSteps: "--steps",
  envOptions: "--env-option",
};

/** The `train` flag of config field `field`: "maxGradNorm" → "--max-grad-norm". */
export function flagOf(field: string): string {
  return FLAG_NAMES[field] ?? `--${kebab(field)}`;
}

/**
 * The `train` flags that set each field of `config` (the inverse of the generated flags): a
 * number or text as `--flag value`, a boolean as `--flag` or `--no-flag`, a list as a comma
 * list, `envOptions` as one `--env-option key=value` each. For callers that run `rl train`
 * with a preset, such as `examples/a2c_pong.ts`.
 *
 * @example
 * ```ts
 * import { configFlags } from "./flags.ts";
 * configFlags({ tMax: 20, annealLr: true, envOptions: { frameSkip: 2 } });
 * // ["--t-max", "20", "--anneal-lr", "--env-option", "frameSkip=2"]
 * ```
 */
export function configFlags(config: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [field, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (field === "envOptions") {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push(flagOf(field), `${k}=${v}`);
      }
    } else if (typeof value === "boolean") {
      out.push(value ? flagOf(field) : `--no-${kebab(field)}`);
    } else if (Array.isArray(value)) {
      out.push(flagOf(field), value.join(","));
    } else {
      out.push(flagOf(field), String(value));
    }
  }
  return out;
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

/** One algorithm's config fields for {@link addConfigFlags}: its name and field table. */
export interface FlagSource {
  /** Algorithm name, shown where its default differs from the first algorithm's. */
  readonly name: string;
  /** Every config field: kind, default, bounds and doc. */
  readonly fields: AnyFieldTable;
}

const showDefault = (value: unknown): string =>
  Array.isArray(value) ? value.join(",") : String(value);

/**
 * Adds one flag per config field of `sources` (skipping `skip` and fields set by code only)
 * with `addOption`: numbers parsed strictly, booleans as `--field` / `--no-field`, number lists
 * as comma lists, the rest as text. A field shared by several algorithms gets one flag. Its
 * help is the field's doc, the algorithms that have it (unless all do), its default (naming
 * each algorithm's where it differs: "default 0.5; a3c: 40") and what is allowed. No
 * commander defaults: a flag not given leaves the field to the preset and defaults. Returns
 * the flags by field.
 */
export function addConfigFlags(
  addOption: AddOption,
  sources: readonly FlagSource[],
  skip: ReadonlySet<string>,
): Map<string, ConfigFlag> {
  const added = new Map<string, ConfigFlag>();
  // Per field: the first source's entry, the algorithms by each differing default, and the
  // algorithms that have it.
  const fields = new Map<string, { field: Field; others: Map<string, string[]>; by: string[] }>();
  for (const source of sources) {
    for (const [name, field] of Object.entries(source.fields)) {
      if (skip.has(name) || field.flag === false) continue;
      const seen = fields.get(name);
      if (!seen) {
        fields.set(name, { field, others: new Map(), by: [source.name] });
        continue;
      }
      seen.by.push(source.name);
      if (showDefault(seen.field.default) !== showDefault(field.default)) {
        const names = seen.others.get(showDefault(field.default)) ?? [];
        seen.others.set(showDefault(field.default), [...names, source.name]);
      }
    }
  }
  for (const [name, { field, others, by }] of fields) {
    const flag = flagOf(name);
    const facts = [
      ...(by.length < sources.length ? [`${by.join(", ")} only`] : []),
      `default ${showDefault(field.default)}`,
      ...[...others].map(([v, names]) => `${names.join(", ")}: ${v}`),
      ...(field.kind === "boolean" ? [] : [`allowed ${describeAllowed(field)}`]),
    ];
    // Commander's own help starts lower case: "discount γ", but "RMSProp decay α".
    const doc = field.doc.replace(/\.$/, "").replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
    const help = `${doc} (${facts.join("; ")})`;
    switch (field.kind) {
      case "number":
      case "integer":
        addOption(`${flag} <number>`, help, argParser((t) => parseNumberStrict(t, flag)));
        break;
      case "boolean":
        addOption(flag, help);
        addOption(`--no-${kebab(name)}`, `turn ${flag} off`);
        break;
      case "numbers":
      case "integers":
        addOption(`${flag} <list>`, help, argParser((t) => parseNumberList(t, flag)));
        break;
      case "text":
      case "choice":
        addOption(`${flag} <value>`, help);
        break;
      case "options":
        continue; // env options get a hand-written key=value flag
    }
    added.set(name, { field: name, flag });
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
