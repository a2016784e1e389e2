/**
 * Config fields as data. A {@link Field} holds what a config field is: its kind, default,
 * bounds and doc. One table of them per algorithm (`config_fields.ts`) drives the validation
 * (every message names the field, the value and what is allowed), the command line's flags
 * and `--help`, and, through `scripts/gen_config.ts`, the config interfaces
 * (`config_types.ts`) and `docs/config.md`.
 *
 * @example Check a value against a field
 * ```ts
 * import { checkField, numberField } from "@webgpu-rl/core/algos";
 * const gamma = numberField({ default: 0.99, range: "(0, 1]", doc: "Discount γ." });
 * console.log(checkField("gamma", gamma, 1.5)); // "gamma: got 1.5, allowed (0, 1]"
 * ```
 *
 * @module
 */

/** What a field holds: the flag's syntax, the check and the TypeScript type follow from it. */
export type FieldKind =
  | "number"
  | "integer"
  | "boolean"
  | "text"
  | "choice"
  | "numbers"
  | "integers"
  | "options";

/** One config field; build it with {@link numberField}, {@link choiceField}, ... */
export interface Field<V = unknown> {
  /** What it holds. */
  readonly kind: FieldKind;
  /** Its default (before the env's preset). */
  readonly default: V;
  /** What it does, one or two sentences (the interface's doc, the flag's help, the docs). */
  readonly doc: string;
  /**
   * Numbers and number lists (each element): the interval as written in messages, e.g.
   * "(0, 1]" or "[1, 4096]".
   */
  readonly range?: string;
  /** Choices: the allowed values. */
  readonly choices?: readonly string[];
  /** Text and options: what is allowed, in words (messages and docs). */
  readonly allowed?: string;
  /** Text: refuse "". */
  readonly nonEmpty?: boolean;
  /** False: set by code only (the run folder sets it): no flag, not in a run's config.json. */
  readonly flag?: boolean;
}

/** A field per member of config type `C`, each with a default of that member's type. */
export type FieldTable<C> = { readonly [K in keyof C]-?: Field<C[K]> };

/** Field tables by key with their types erased (the command line's and the docs' view). */
export type AnyFieldTable = Readonly<Record<string, Field>>;

/** What each field constructor takes besides the kind. */
export interface FieldOptions<V> {
  /** The default. */
  readonly default: V;
  /** The doc. */
  readonly doc: string;
  /** False: no flag (see {@link Field.flag}). */
  readonly flag?: boolean;
}

/** A real number in `range`, e.g. `numberField({ default: 0.99, range: "(0, 1]", doc })`. */
export function numberField(o: FieldOptions<number> & { readonly range: string }): Field<number> {
  return { kind: "number", ...o };
}

/** An integer in `range`, e.g. `integerField({ default: 5, range: "[1, 4096]", doc })`. */
export function integerField(
  o: FieldOptions<number> & { readonly range: string },
): Field<number> {
  return { kind: "integer", ...o };
}

/** A boolean: the flags `--x` and `--no-x`. */
export function booleanField(o: FieldOptions<boolean>): Field<boolean> {
  return { kind: "boolean", ...o };
}

/** One of `choices`, e.g. `choiceField(["rmsprop", "adam"], { default: "rmsprop", doc })`. */
export function choiceField<const T extends string>(
  choices: readonly T[],
  o: FieldOptions<T>,
): Field<T> {
  return { kind: "choice", choices, ...o };
}

/** A string; `allowed` says what in words. */
export function textField(
  o: FieldOptions<string> & { readonly allowed: string; readonly nonEmpty?: boolean },
): Field<string> {
  return { kind: "text", ...o };
}

/** A list of numbers (`integers`: of integers), each in `range`; a flag takes "64,64". */
export function listField(
  o: FieldOptions<number[]> & {
    readonly range: string;
    readonly integers?: boolean;
    readonly nonEmpty?: boolean;
  },
): Field<number[]> {
  const { integers, ...rest } = o;
  return { kind: integers ? "integers" : "numbers", ...rest };
}

/** An object of named numbers (env options); `allowed` says what in words. */
export function optionsField(
  o: FieldOptions<Record<string, number | boolean>> & { readonly allowed: string },
): Field<Record<string, number | boolean>> {
  return { kind: "options", ...o };
}

/** A parsed interval. */
interface Interval {
  readonly lo: number;
  readonly hi: number;
  readonly loOpen: boolean;
  readonly hiOpen: boolean;
}

const INTERVAL = /^([[(])\s*([^,\s]+)\s*,\s*([^\s\])]+)\s*([\])])$/;
const intervals = new Map<string, Interval>();

function interval(range: string): Interval {
  let parsed = intervals.get(range);
  if (!parsed) {
    const m = INTERVAL.exec(range);
    const [lo, hi] = [Number(m?.[2]), Number(m?.[3])];
    if (!m || Number.isNaN(lo) || Number.isNaN(hi)) {
      throw new RangeError(`field range ${JSON.stringify(range)} is not like "(0, 1]"`);
    }
    parsed = { lo, hi, loOpen: m[1] === "(", hiOpen: m[4] === ")" };
    intervals.set(range, parsed);
  }
  return parsed;
}

/** `range` with its bounds as numbers print ("[0, 1e6]" → "[0, 1000000]"). */
function showRange(range: string): string {
  const { lo, hi, loOpen, hiOpen } = interval(range);
  return `${loOpen ? "(" : "["}${lo}, ${hi}${hiOpen ? ")" : "]"}`;
}

function inRange(value: unknown, range: string, integer: boolean): boolean {
  const { lo, hi, loOpen, hiOpen } = interval(range);
  return typeof value === "number" && Number.isFinite(value) &&
    (loOpen ? value > lo : value >= lo) && (hiOpen ? value < hi : value <= hi) &&
    (!integer || Number.isInteger(value));
}

/**
 * What `field` allows, in words: "(0, 1]", "an integer in [1, 4096]", "rmsprop, adam",
 * "true, false", "a list of integers in [1, 1048576]", ...
 */
export function describeAllowed(field: Field): string {
  const range = field.range === undefined ? "" : showRange(field.range);
  switch (field.kind) {
    case "number":
      return range;
    case "integer":
      return `an integer in ${range}`;
    case "boolean":
      return "true, false";
    case "choice":
      return (field.choices ?? []).join(", ");
    case "numbers":
    case "integers":
      return `a ${field.nonEmpty ? "non-empty " : ""}list of ${field.kind} in ${range}`;
    case "text":
    case "options":
      return field.allowed ?? field.kind;
  }
}

/**
 * The problem with `value` as field `name`, as `name: got <value>, allowed <what>`, or
 * undefined when it is allowed. Numbers read "gamma: got 1.5, allowed (0, 1]"; a value of
 * the wrong type "gamma: got a string "0.9", allowed a number in (0, 1]"; the other kinds
 * list what is allowed after a colon ("optimizer: got "sgd", allowed: rmsprop, adam").
 */
export function checkField(name: string, field: Field, value: unknown): string | undefined {
  const allowed = describeAllowed(field);
  const json = JSON.stringify(value);
  switch (field.kind) {
    case "number":
    case "integer": {
      if (inRange(value, field.range!, field.kind === "integer")) return undefined;
      if (typeof value === "number") return `${name}: got ${value}, allowed ${allowed}`;
      const kind = field.kind === "number" ? "a number in " : "";
      return `${name}: got a ${typeof value} ${json}, allowed ${kind}${allowed}`;
    }
    case "boolean":
      return typeof value === "boolean" ? undefined : `${name}: got ${json}, allowed: ${allowed}`;
    case "choice":
      return field.choices!.includes(value as string)
        ? undefined
        : `${name}: got ${json}, allowed: ${allowed}`;
    case "numbers":
    case "integers": {
      const ok = Array.isArray(value) && (!field.nonEmpty || value.length > 0) &&
        value.every((x) => inRange(x, field.range!, field.kind === "integers"));
      return ok ? undefined : `${name}: got ${json}, allowed: ${allowed}`;
    }
    case "text":
      return typeof value === "string" && (!field.nonEmpty || value.length > 0)
        ? undefined
        : `${name}: got ${json}, allowed: ${allowed}`;
    case "options":
      return value !== null && typeof value === "object" && !Array.isArray(value)
        ? undefined
        : `${name}: got ${json}, allowed: ${allowed}`;
  }
}

/** Every problem of `config` against `table`, one message a field, in the table's order. */
export function checkFields(table: AnyFieldTable, config: object): string[] {
  const record = new Map(Object.entries(config));
  const problems: string[] = [];
  for (const [name, field] of Object.entries(table)) {
    const problem = checkField(name, field, record.get(name));
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

/** The keys of `overrides` that are not fields of `table`. */
export function unknownFields(table: AnyFieldTable, overrides: object): string[] {
  return Object.keys(overrides).filter((key) => !Object.hasOwn(table, key));
}

/** The config of every field's default, in the table's order. */
export function defaultsOf<C>(table: FieldTable<C>): C {
  const out = {} as C;
  for (const key of Object.keys(table) as (keyof C)[]) out[key] = table[key].default;
  return out;
}
