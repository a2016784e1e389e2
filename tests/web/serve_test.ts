/**
 * `deno task web` (web/serve.ts): prints the page's address, sends the cross-origin isolation
 * headers with every response (none with `--no-isolation`), and serves only the page, its
 * bundles and pictures.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT } from "../../web/build.ts";

/** Starts `web/serve.ts` with `args`, returns its address and a stop function. */
async function start(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "web/serve.ts", "--port", "0", ...args],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => child.kill(), 60_000); // the build and the listen, at most
  while (!/http:\/\/\S+\//.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(timer);
  const url = text.match(/http:\/\/\S+\//)?.[0];
  assert.ok(url, `no address printed: ${text}`);
  return {
    url,
    text,
    async stop() {
      child.kill();
      await reader.cancel();
      await child.status;
    },
  };
}

Deno.test("deno task web: prints the address; isolation headers; only the page's files", async () => {
  const server = await start([]);
  try {
    assert.ok(server.text.includes("cross-origin isolated"));
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(page.headers.get("cross-origin-embedder-policy"), "require-corp");
    assert.ok((await page.text()).includes('src="dist/app.js"'));
    const app = await fetch(new URL("dist/app.js", server.url));
    assert.equal(app.status, 200);
    assert.ok(app.headers.get("content-type")!.startsWith("text/javascript"));
    await app.body?.cancel();
    for (const path of ["deno.json", "../deno.json", "src/web/session.ts", "dist/../serve.ts"]) {
      const r = await fetch(new URL(path, server.url));
      assert.equal(r.status, 404, path);
      await r.body?.cancel();
    }
  } finally {
    await server.stop();
  }
  const open = await start(["--no-isolation"]);
  try {
    const page = await fetch(open.url);
    assert.equal(page.headers.get("cross-origin-opener-policy"), null);
    await page.body?.cancel();
  } finally {
    await open.stop();
  }
});
