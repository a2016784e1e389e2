import assert from "node:assert/strict";
import { A2C_DEFAULTS } from "../../src/algos/a2c/config.ts";
import { A3C_DEFAULTS, ASYNC_Q_DEFAULTS } from "../../src/algos/async/config.ts";
import { A2C_FIELDS, A3C_FIELDS, ASYNC_Q_FIELDS } from "../../src/algos/config_fields.ts";
import {
  type AnyFieldTable,
  booleanField,
  checkField,
  checkFields,
  choiceField,
  describeAllowed,
  integerField,
  listField,
  numberField,
  optionsField,
  textField,
} from "../../src/algos/fields.ts";
import { addConfigFlags, flagOf } from "../../src/cli/flags.ts";

Deno.test("fields: each kind checks its values and says what it allows", () => {
  const gamma = numberField({ default: 0.99, range: "(0, 1]", doc: "d" });
  assert.equal(checkField("gamma", gamma, 1), undefined);
  assert.equal(checkField("gamma", gamma, 0), "gamma: got 0, allowed (0, 1]");
  assert.equal(checkField("gamma", gamma, NaN), "gamma: got NaN, allowed (0, 1]");
  assert.equal(
    checkField("gamma", gamma, "0.9"),
    'gamma: got a string "0.9", allowed a number in (0, 1]',
  );
  const steps = integerField({ default: 5, range: "[1, 1e6]", doc: "d" });
  assert.equal(checkField("t", steps, 2.5), "t: got 2.5, allowed an integer in [1, 1000000]");
  assert.equal(
    checkField("t", steps, "2"),
    't: got a string "2", allowed an integer in [1, 1000000]',
  );
  const flag = booleanField({ default: true, doc: "d" });
  assert.equal(checkField("f", flag, 1), "f: got 1, allowed: true, false");
  const opt = choiceField(["rmsprop", "adam"], { default: "rmsprop", doc: "d" });
  assert.equal(checkField("o", opt, "sgd"), 'o: got "sgd", allowed: rmsprop, adam');
  const sizes = listField({ default: [64], range: "[1, Infinity)", integers: true, doc: "d" });
  assert.equal(checkField("h", sizes, []), undefined); // no hidden layer
  assert.equal(
    checkField("h", sizes, [0]),
    "h: got [0], allowed: a list of integers in [1, Infinity)",
  );
  const eps = listField({ default: [0.1], range: "[0, 1]", nonEmpty: true, doc: "d" });
  assert.equal(
    checkField("e", eps, []),
    "e: got [], allowed: a non-empty list of numbers in [0, 1]",
  );
  const env = textField({ default: "catch", allowed: "an env name", nonEmpty: true, doc: "d" });
  assert.equal(checkField("env", env, ""), 'env: got "", allowed: an env name');
  const opts = optionsField({ default: {}, allowed: "an object", doc: "d" });
  assert.equal(checkField("o", opts, [1]), "o: got [1], allowed: an object");
  assert.throws(
    () => describeAllowed(numberField({ default: 0, range: "0..1", doc: "d" })),
    /field range "0..1" is not like "\(0, 1\]"/,
  );
});

Deno.test("fields: every default passes its own field; shared fields are one entry", () => {
  const tables: [string, AnyFieldTable, object][] = [
    ["a2c", A2C_FIELDS, A2C_DEFAULTS],
    ["a3c", A3C_FIELDS, A3C_DEFAULTS],
    ["q", ASYNC_Q_FIELDS, ASYNC_Q_DEFAULTS],
  ];
  for (const [name, table, defaults] of tables) {
    assert.deepEqual(checkFields(table, defaults), [], name);
    assert.deepEqual(Object.keys(defaults), Object.keys(table), name);
    for (const [field, spec] of Object.entries(table)) assert.ok(spec.doc.length > 0, field);
  }
  // The fields A2C and the async methods share are the same entries, defaults apart.
  for (const field of ["gamma", "lr", "rmsAlpha", "rmsInit", "seed", "net", "hidden", "init"]) {
    assert.equal(A2C_FIELDS[field as "gamma"], A3C_FIELDS[field as "gamma"], field);
  }
  assert.equal(A2C_FIELDS.rmsEps.doc, A3C_FIELDS.rmsEps.doc);
  assert.deepEqual([A2C_FIELDS.rmsEps.default, A3C_FIELDS.rmsEps.default], [1e-5, 0.1]);
});

Deno.test("fields: train flags and their help come from the tables", () => {
  const added: [string, string][] = [];
  const flags = addConfigFlags(
    (f, d) => added.push([f, d]),
    [{ name: "a2c", fields: A2C_FIELDS }, { name: "a3c", fields: A3C_FIELDS }],
    new Set(["algo", "env", "envOptions", "seed", "totalSteps", "backend", "logEvery"]),
  );
  const help = new Map(added);
  assert.equal(help.get("--gamma <number>"), "discount γ (default 0.99; allowed (0, 1])");
  assert.match(help.get("--rms-eps <number>")!, /default 0.00001; a3c: 0.1; allowed \(0, 1\]/);
  assert.match(help.get("--num-envs <number>")!, /\(a2c only; default 16;/);
  assert.ok(help.has("--no-clip-rewards"));
  assert.equal(flags.has("checkpointPath"), false); // set by code only
  assert.equal(flagOf("totalSteps"), "--steps");
  assert.equal(flagOf("maxGradNorm"), "--max-grad-norm");
});
