/**
 * The page in a real browser: Debian's headless Chromium (WebGPU on SwiftShader) opens the
 * page `deno task web` serves, trains A2C on Catch on WebGPU to a live mean return of 0.8,
 * then A3C with 2 Web Workers, then A2C on the CPU twins; checks that the canvas is drawn,
 * that the downloaded checkpoint and config.json make a run folder `rl eval` reads, and what
 * the page says without cross-origin isolation and without WebGPU. Screenshots go to
 * `runs/web-test/` (the README's picture is one of them).
 *
 * Needs `/usr/bin/chromium` (`apt-get install -y chromium`; `.ci/run` installs it);
 * `playwright-core` comes from npm through deno.json. Every wait has a timeout.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../web/chromium.ts";
import { serveWeb, type WebServer } from "../../web/serve.ts";
import { run } from "../cli/run_cli.ts";

/** What the page mirrors in `globalThis.rlPage` (web/app.ts). */
interface PageState {
  state: string;
  runs: number;
  last: { steps: number; wallSeconds: number; returnMean100: number; stepsPerSecond: number };
  backend: string;
  adapter: string;
  isolated: boolean;
  webgpu: boolean;
  framesDrawn: number;
  error: string;
}

const SHOTS = new URL("../../runs/web-test/", import.meta.url);
/** Wall-clock budget of one training run in the tab (the machine may be loaded). */
const TRAIN_TIMEOUT_MS = 150_000;

const state = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { rlPage: PageState }).rlPage);

/** Starts training `algo` on `env` and waits for a live mean return ≥ `target`. */
async function trainTo(
  page: Page,
  options: { algo: string; env?: string; target: number; shot?: string },
): Promise<PageState> {
  await page.selectOption("#env", options.env ?? "catch");
  await page.selectOption("#algo", options.algo);
  await page.fill("#workers", "2");
  const before = (await state(page)).runs;
  await page.click("#train");
  // This run's state, never the previous run's "done".
  await page.waitForFunction(
    (before) => {
      const s = (globalThis as unknown as { rlPage: PageState }).rlPage;
      return s.runs > before &&
        (s.state === "training" || s.state === "done" || s.state === "error");
    },
    before,
    { timeout: 60_000 },
  );
  if (options.shot) {
    // Mid-training (the curve on its way up) for the README, when the run is slow enough.
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { rlPage: PageState }).rlPage;
        return s.state !== "training" || (s.last?.returnMean100 > 0 && s.framesDrawn > 2);
      },
      undefined,
      { timeout: TRAIN_TIMEOUT_MS, polling: 250 },
    );
    await page.screenshot({ path: new URL(options.shot, SHOTS).pathname, fullPage: true });
  }
  await page.waitForFunction(
    (target) => {
      const s = (globalThis as unknown as { rlPage: PageState }).rlPage;
      return s.state === "error" || s.state === "done" || s.last?.returnMean100 >= target;
    },
    options.target,
    { timeout: TRAIN_TIMEOUT_MS, polling: 200 },
  );
  const s = await state(page);
  assert.equal(s.error, "", `${options.algo}: the page reported an error`);
  assert.ok(
    s.last.returnMean100 >= options.target,
    `${options.algo}: mean return ${s.last.returnMean100} at ${s.last.steps} steps`,
  );
  return s;
}

/** Counts the canvas's pixels that are not the background (its top-left pixel's colour). */
function paintedPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    // The page's DOM, typed by hand: the tests are checked without the DOM library.
    type Canvas = {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const doc = (globalThis as unknown as { document: { getElementById(id: string): Canvas } })
      .document;
    const canvas = doc.getElementById("view");
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) painted++;
    }
    return painted;
  });
}

/** Clicks both download buttons into a run folder and evaluates it with `rl eval`. */
async function downloadAndEval(page: Page, dir: string): Promise<number> {
  // Stop, unless the run has just ended on its own (a disabled button ignores the click).
  await page.evaluate(() =>
    (globalThis as unknown as {
      document: { getElementById(id: string): { click(): void } };
    }).document.getElementById("stop").click()
  );
  await page.waitForFunction(
    () => (globalThis as unknown as { rlPage: PageState }).rlPage.state === "done",
    undefined,
    { timeout: 60_000 },
  );
  await Deno.mkdir(dir, { recursive: true });
  for (
    const [button, name] of [["#download", "checkpoint.safetensors"], [
      "#download-config",
      "config.json",
    ]]
  ) {
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.click(button),
    ]);
    assert.equal(download.suggestedFilename(), name);
    await download.saveAs(`${dir}/${name}`);
  }
  const result = await run(["eval", dir, "--episodes", "100", "--greedy"]);
  assert.equal(result.code, 0, result.err);
  return JSON.parse(await Deno.readTextFile(`${dir}/eval.json`)).returnMean;
}

Deno.test({
  name: "web page: A2C on WebGPU and A3C on Web Workers learn Catch in headless Chromium",
  sanitizeOps: false, // playwright keeps its connection's timers and sockets between calls
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(SHOTS, { recursive: true });
    const work = await Deno.makeTempDir({ prefix: "rl-web-" });
    let server: WebServer | undefined;
    let browser: Browser | undefined;
    try {
      server = await serveWeb({ port: 0 });
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
      page.setDefaultTimeout(60_000);
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.url, { timeout: 60_000 });

      await t.step("the page is cross-origin isolated and finds WebGPU", async () => {
        const s = await state(page);
        assert.ok(s.isolated, "crossOriginIsolated is false despite COOP/COEP");
        assert.ok(s.webgpu, "navigator.gpu is missing (--enable-unsafe-webgpu)");
      });

      await t.step("A2C on WebGPU reaches a mean return of 0.8 on Catch", async () => {
        const s = await trainTo(page, { algo: "a2c-webgpu", target: 0.8, shot: "a2c_webgpu.png" });
        assert.equal(s.backend, "webgpu");
        assert.ok(s.adapter.length > 0, "no adapter name");
        assert.ok((await page.textContent("#status"))!.includes("WebGPU"), "status line");
        assert.ok(s.framesDrawn > 0, "the greedy view drew nothing");
        assert.ok(await paintedPixels(page) >= 100, "the canvas is blank");
        assert.ok(
          (await page.locator("#curve svg polyline, #curve svg path").count()) > 0,
          "no curve",
        );
        const score = await downloadAndEval(page, `${work}/a2c`);
        assert.ok(score >= 0.5, `rl eval of the downloaded A2C checkpoint: ${score}`);
      });

      await t.step("A3C with 2 Web Workers reaches a mean return of 0.8 on Catch", async () => {
        const s = await trainTo(page, { algo: "a3c", target: 0.8 });
        assert.equal(s.backend, "workers");
        assert.ok(await paintedPixels(page) >= 100, "the canvas is blank");
        await page.screenshot({ path: new URL("a3c.png", SHOTS).pathname, fullPage: true });
        const score = await downloadAndEval(page, `${work}/a3c`);
        assert.ok(score >= 0.5, `rl eval of the downloaded A3C checkpoint: ${score}`);
      });

      await t.step("A2C on the CPU twins reaches 0.8 too", async () => {
        const s = await trainTo(page, { algo: "a2c-cpu", target: 0.8 });
        assert.equal(s.backend, "cpu");
      });

      await t.step("Reset clears the run", async () => {
        await page.click("#reset");
        await page.waitForFunction(
          () => (globalThis as unknown as { rlPage: PageState }).rlPage.state === "idle",
          undefined,
          { timeout: 30_000 },
        );
        assert.equal((await state(page)).last, null);
        assert.equal(await page.locator("#curve svg").count(), 0);
      });
      assert.deepEqual(errors, [], "uncaught errors in the page");
      await page.close();

      await t.step("without WebGPU, A2C runs on the CPU and the page says so", async () => {
        const bare = await browser!.newPage();
        await bare.addInitScript(() => {
          delete (Navigator.prototype as unknown as { gpu?: unknown }).gpu;
        });
        await bare.goto(server!.url, { timeout: 60_000 });
        assert.ok((await bare.textContent("#notes"))!.includes("WebGPU is not available"));
        const s = await trainTo(bare, { algo: "a2c-webgpu", target: 0.8 });
        assert.equal(s.backend, "cpu");
        await bare.close();
      });

      await t.step("not cross-origin isolated: the page says so and A3C is off", async () => {
        const open = await serveWeb({ port: 0, isolate: false, build: false });
        try {
          const plain = await browser!.newPage();
          await plain.goto(open.url, { timeout: 60_000 });
          assert.equal((await state(plain)).isolated, false);
          assert.ok((await plain.textContent("#notes"))!.includes("not cross-origin isolated"));
          assert.ok(await plain.locator('#algo option[value="a3c"]').isDisabled());
          await plain.close();
        } finally {
          await open.shutdown();
        }
      });
    } finally {
      await browser?.close().catch(() => {});
      await server?.shutdown();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
