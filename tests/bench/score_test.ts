import assert from "node:assert/strict";
import { benchScore } from "../../src/bench/score.ts";

Deno.test("bench score: seconds and env steps to a return, per case; a budget hit is named", async () => {
  const rows = await benchScore({
    cpu: true,
    cases: [
      { name: "catch", algo: "a2c", config: { env: "catch", totalSteps: 40_000 }, target: 0 },
      { name: "catch", algo: "a3c", config: { env: "catch", totalSteps: 40_000 }, target: 0 },
      // A Catch return is at most 1: a target of 2 is never reached.
      { name: "catch high", algo: "a2c", config: { env: "catch", totalSteps: 4_000 }, target: 2 },
    ],
  });
  assert.equal(rows.length, 6);
  assert.deepEqual(rows.map((r) => `${r.name} ${r.unit}`), [
    "catch to 0 s",
    "catch to 0 env-steps",
    "catch to 0 s",
    "catch to 0 env-steps",
    "catch high to 2 not reached s",
    "catch high to 2 not reached env-steps",
  ]);
  assert.ok(rows.every((r) => r.group === "score" && r.backend === "cpu" && r.value > 0));
  assert.ok(rows[1].value <= 40_000 && rows[3].value <= 40_000 + 1000);
  assert.equal(rows[5].value, 4_000);
});
