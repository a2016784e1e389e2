/**
 * Steps/s of the same training sessions (`src/web/session.ts`) in a headless Chromium tab and
 * in Deno on the same machine, interleaved case by case: A2C on Catch and CartPole on WebGPU
 * and on the CPU, and A3C with 2 workers. A figure is a whole run's environment steps over
 * its wall time (the session's own clock: from the first iteration, or from the workers'
 * start, to the last record). The tab's WebGPU adapter is Chromium's (SwiftShader without a
 * GPU), Deno's is its own (Mesa's llvmpipe without a GPU).
 *
 * ```sh
 * deno run -A web/figures.ts --rounds 3 --out docs/web/figures.json
 * ```
 *
 * @module
 */

import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { serveWeb } from "./serve.ts";
import {
  cpuProducts,
  type SessionLog,
  startA2cSession,
  startA3cSession,
} from "../src/web/session.ts";

/** One measured case. */
interface Case {
  readonly name: string;
  readonly env: string;
  readonly algo: "a2c-webgpu" | "a2c-cpu" | "a3c";
  readonly steps: number;
}

const CASES: readonly Case[] = [
  { name: "A2C Catch, WebGPU", env: "catch", algo: "a2c-webgpu", steps: 20_000 },
  { name: "A2C Catch, CPU", env: "catch", algo: "a2c-cpu", steps: 300_000 },
  { name: "A2C CartPole, WebGPU", env: "cartpole", algo: "a2c-webgpu", steps: 10_000 },
  { name: "A2C CartPole, CPU", env: "cartpole", algo: "a2c-cpu", steps: 200_000 },
  { name: "A3C Catch, 2 workers", env: "catch", algo: "a3c", steps: 300_000 },
  { name: "A3C CartPole, 2 workers", env: "cartpole", algo: "a3c", steps: 300_000 },
];

const perSecond = (l: SessionLog | null | undefined) => l ? l.steps / l.wallSeconds : NaN;

/** One run in a fresh tab (a page per run: nothing of an earlier run stays in it). */
async function inTab(browser: Browser, url: string, c: Case): Promise<number> {
  const page = await browser.newPage();
  try {
    return await runInTab(page, url, c);
  } finally {
    await page.close();
  }
}

async function runInTab(page: Page, url: string, c: Case): Promise<number> {
  await page.goto(url, { timeout: 60_000 });
  await page.selectOption("#env", c.env);
  await page.selectOption("#algo", c.algo);
  await page.fill("#workers", "2");
  await page.fill("#seed", "1");
  await page.fill("#steps", String(c.steps));
  await page.click("#train");
  await page.waitForFunction(
    () => {
      const s = (globalThis as unknown as { rlPage: { state: string } }).rlPage;
      return s.state === "done" || s.state === "error";
    },
    undefined,
    { timeout: 300_000, polling: 200 },
  );
  const s = await page.evaluate(() =>
    (globalThis as unknown as { rlPage: { last: SessionLog; error: string } }).rlPage
  );
  if (s.error) throw new Error(`${c.name} in the tab: ${s.error}`);
  return perSecond(s.last);
}

async function inDeno(c: Case): Promise<number> {
  const session = c.algo === "a3c"
    ? await startA3cSession({
      env: c.env,
      seed: 1,
      totalSteps: c.steps,
      workers: 2,
      spawnWorker: () =>
        new Worker(new URL("../src/algos/async/worker.ts", import.meta.url).href, {
          type: "module",
        }),
    })
    : await startA2cSession({
      env: c.env,
      seed: 1,
      totalSteps: c.steps,
      backend: c.algo === "a2c-webgpu" ? "webgpu" : "cpu",
    });
  const result = await session.done;
  session.dispose();
  return perSecond(result.last);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (import.meta.main) {
  const arg = (name: string, fallback: string) => {
    const i = Deno.args.indexOf(name);
    return i < 0 ? fallback : Deno.args[i + 1];
  };
  const rounds = Number(arg("--rounds", "3"));
  const out = arg("--out", "");
  const only = arg("--only", "");
  const cases = CASES.filter((c) => !only || c.name.toLowerCase().includes(only.toLowerCase()));
  const server = await serveWeb({ port: 0 });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(server.url);
  const adapters = {
    tab: await page.evaluate(async () => {
      const gpu = (navigator as unknown as {
        gpu?: { requestAdapter(): Promise<{ info: Record<string, string> } | null> };
      }).gpu;
      const info = (await gpu?.requestAdapter())?.info;
      return info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : "none";
    }),
    browser: browser.version(),
    deno: "",
    tabCpuProducts: await page.evaluate(() =>
      (globalThis as unknown as { rlPage: { cpuProducts: string } }).rlPage.cpuProducts
    ),
    denoCpuProducts: cpuProducts(),
  };
  const tab = new Map<string, number[]>();
  const deno = new Map<string, number[]>();
  const loads: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const a = await inTab(browser, server.url, c);
      const b = await inDeno(c);
      tab.set(c.name, [...tab.get(c.name) ?? [], a]);
      deno.set(c.name, [...deno.get(c.name) ?? [], b]);
      loads.push(Deno.loadavg());
      console.log(`round ${r + 1} ${c.name}: tab ${a.toFixed(0)}, Deno ${b.toFixed(0)} steps/s`);
    }
  }
  await page.close();
  const { openGpu } = await import("../src/gpu/device.ts");
  adapters.deno = (await openGpu())?.description ?? "none";
  await browser.close();
  await server.shutdown();
  const rows = cases.map((c) => {
    const t = median(tab.get(c.name)!);
    const d = median(deno.get(c.name)!);
    return {
      case: c.name,
      steps: c.steps,
      tab: t,
      deno: d,
      ratio: t / d,
      all: { tab: tab.get(c.name), deno: deno.get(c.name) },
    };
  });
  console.log(`\n| work | steps | tab (steps/s) | Deno (steps/s) | tab / Deno |`);
  console.log(`| --- | -: | -: | -: | -: |`);
  for (const row of rows) {
    console.log(
      `| ${row.case} | ${row.steps.toLocaleString("en")} | ${
        Math.round(row.tab).toLocaleString("en")
      } | ` +
        `${Math.round(row.deno).toLocaleString("en")} | ${row.ratio.toFixed(2)} |`,
    );
  }
  const report = {
    date: new Date().toISOString(),
    rounds,
    adapters,
    loadavg: loads,
    cores: navigator.hardwareConcurrency,
    rows,
  };
  console.log(JSON.stringify(adapters));
  if (out) await Deno.writeTextFile(out, JSON.stringify(report, null, 2) + "\n");
}
