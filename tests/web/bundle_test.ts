/**
 * The browser bundles hold no Deno-only API: `buildWeb` bundles the page and the A3C worker
 * for the browser and refuses a bundle that uses the `Deno` namespace or an unresolved
 * `node:`/`jsr:`/`npm:` import; a module that does (the Deno coordinator) is caught, and the
 * message names it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { buildWeb, denoApiLeaks, ROOT } from "../../web/build.ts";

Deno.test("web bundles: the page and the A3C worker build with no Deno-only API", async () => {
  const outputs = await buildWeb({ quiet: true });
  assert.equal(outputs.length, 2);
  for (const out of outputs) assert.deepEqual(denoApiLeaks(await Deno.readTextFile(out)), []);
});

Deno.test("web bundles: the check catches a Deno API and names its module", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rl-bundle-" });
  try {
    const out = `${dir}/coordinator.js`;
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "-o", out, "src/algos/async/coordinator.ts"],
      cwd: ROOT.pathname,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(result.success, new TextDecoder().decode(result.stderr));
    const leaks = denoApiLeaks(await Deno.readTextFile(out));
    assert.ok(
      leaks.some((l) => l.what.startsWith("Deno") && l.module === "src/algos/async/coordinator.ts"),
      JSON.stringify(leaks),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("web bundles: comments and strings of other names are not leaks", () => {
  const text = [
    "// src/a.ts",
    "// Deno.readFile is not used here",
    "const x = globalThis.Denominator;",
    "// src/b.ts",
    "const y = Deno.env.get('A');",
    'import fs from "node:fs";',
  ].join("\n");
  assert.deepEqual(denoApiLeaks(text).map((l) => [l.what, l.module]), [
    ["Deno.", "src/b.ts"],
    ['from "node:fs"', "src/b.ts"],
  ]);
});
