/// <reference lib="dom" />
/**
 * The page's script (bundled for the browser by `web/build.ts` into `web/dist/app.js`): the
 * form, the Train / Stop / Reset / download buttons, the greedy view on a canvas, the live
 * curve (the CLI's SVG) and the status line. Training is the package's own code
 * (`src/web/session.ts`); nothing here trains.
 *
 * For tests the page mirrors its state in `globalThis.rlPage` ({@link PageState}).
 *
 * @module
 */

import {
  cpuProducts,
  type SessionLog,
  startA2cSession,
  startA3cSession,
  type TrainingSession,
  WEB_ENVS,
} from "../src/web/session.ts";
import { type GreedyView, makeGreedyView } from "../src/web/view.ts";
import { curveSvg } from "../src/cli/curve_svg.ts";
import type { Frame } from "../src/envs/types.ts";

/** What the page exposes to tests as `globalThis.rlPage`. */
export interface PageState {
  /** idle | starting | training | done | error. */
  state: string;
  /** Train clicks so far: a click counts (and the state leaves "done") before any await. */
  runs: number;
  /** The last log record. */
  last: SessionLog | null;
  /** "webgpu", "cpu" or "workers" once a session started. */
  backend: string;
  /** The adapter's name on WebGPU. */
  adapter: string;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer allowed). */
  isolated: boolean;
  /** Whether `navigator.gpu` exists. */
  webgpu: boolean;
  /** Frames the greedy view drew so far. */
  framesDrawn: number;
  /** The error message, when state is error. */
  error: string;
  /** What runs the CPU backend's matrix products in this thread. */
  cpuProducts: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const envSelect = $<HTMLSelectElement>("env");
const algoSelect = $<HTMLSelectElement>("algo");
const workersInput = $<HTMLInputElement>("workers");
const seedInput = $<HTMLInputElement>("seed");
const stepsInput = $<HTMLInputElement>("steps");
const trainButton = $<HTMLButtonElement>("train");
const stopButton = $<HTMLButtonElement>("stop");
const resetButton = $<HTMLButtonElement>("reset");
const downloadButton = $<HTMLButtonElement>("download");
const configButton = $<HTMLButtonElement>("download-config");
const statusLine = $("status");
const notes = $("notes");
const canvas = $<HTMLCanvasElement>("view");
const curve = $("curve");
const errorBox = $("error");

const page: PageState = {
  state: "idle",
  runs: 0,
  last: null,
  backend: "",
  adapter: "",
  isolated: globalThis.crossOriginIsolated === true,
  webgpu: "gpu" in navigator,
  framesDrawn: 0,
  error: "",
  cpuProducts: cpuProducts(),
};
(globalThis as unknown as { rlPage: PageState }).rlPage = page;

let session: TrainingSession | undefined;
let view: GreedyView | undefined;
let points: SessionLog[] = [];
let viewTimer: ReturnType<typeof setTimeout> | undefined;
let generation = 0; // a Reset or a new Train makes older callbacks no-ops

function showNotes(): void {
  const lines: string[] = [];
  lines.push(
    page.webgpu
      ? "WebGPU: available (A2C runs its static GPU plan in this tab)."
      : '<span class="warn">WebGPU is not available in this browser: A2C runs on the CPU ' +
        `backend in this thread (matrix products: ${cpuProducts()}).</span>`,
  );
  lines.push(
    page.isolated
      ? "Cross-origin isolated: yes (A3C's Web Workers share memory)."
      : '<span class="warn">This page is not cross-origin isolated, so SharedArrayBuffer is ' +
        "off and A3C cannot run: serve it with Cross-Origin-Opener-Policy: same-origin and " +
        "Cross-Origin-Embedder-Policy: require-corp (deno task web does).</span>",
  );
  notes.innerHTML = lines.join("<br>");
  if (!page.webgpu) {
    algoSelect.querySelector<HTMLOptionElement>('[value="a2c-webgpu"]')!.text +=
      " (unavailable: CPU)";
  }
  if (!page.isolated) algoSelect.querySelector<HTMLOptionElement>('[value="a3c"]')!.disabled = true;
}

function setState(state: string): void {
  page.state = state;
  document.body.dataset.state = state;
  const training = state === "starting" || state === "training";
  trainButton.disabled = training;
  stopButton.disabled = !training;
  downloadButton.disabled = !session || state === "starting";
  configButton.disabled = downloadButton.disabled;
}

const fmt = (x: number, digits = 3) => Number.isFinite(x) ? Number(x.toPrecision(digits)) : "–";

function showStatus(): void {
  if (!session) return;
  const l = page.last;
  const where = session.backend === "webgpu"
    ? `WebGPU (${session.adapter})`
    : session.backend === "workers"
    ? `Web Workers ×${(session.config as { workers: number }).workers}`
    : `CPU, ${cpuProducts()}`;
  statusLine.textContent = `${session.algo.toUpperCase()} · ${session.config.env} · ${where} · ` +
    (l
      ? `${Math.round(l.stepsPerSecond).toLocaleString("en")} steps/s · ` +
        `${l.steps.toLocaleString("en")} steps · ${fmt(l.wallSeconds)} s · ` +
        `mean return ${fmt(l.returnMean100)} (last 100 of ${l.episodes} episodes)`
      : "starting") +
    ` · ${page.state}`;
}

function drawCurve(): void {
  const title = session ? `${session.algo.toUpperCase()} ${session.config.env}` : "";
  curve.innerHTML = curveSvg(points, { title, width: 960, height: 320 });
}

const scratch = document.createElement("canvas");
function drawFrames(frames: Frame[]): void {
  const { width: w, height: h } = frames[0];
  const scale = Math.max(1, Math.floor(Math.min(240 / h, 960 / (w * frames.length))));
  if (canvas.width !== w * scale * frames.length || canvas.height !== h * scale) {
    canvas.width = w * scale * frames.length;
    canvas.height = h * scale;
  }
  scratch.width = w;
  scratch.height = h;
  const sctx = scratch.getContext("2d")!;
  const ctx = canvas.getContext("2d")!;
  ctx.imageSmoothingEnabled = false;
  const image = sctx.createImageData(w, h);
  frames.forEach((f, k) => {
    for (let i = 0, j = 0; i < f.rgb.length; i += 3, j += 4) {
      image.data[j] = f.rgb[i];
      image.data[j + 1] = f.rgb[i + 1];
      image.data[j + 2] = f.rgb[i + 2];
      image.data[j + 3] = 255;
    }
    sctx.putImageData(image, 0, 0);
    ctx.drawImage(scratch, k * w * scale, 0, w * scale, h * scale);
  });
  page.framesDrawn++;
}

/** Steps the greedy view at a watchable rate; parameters refresh about once a second. */
function startView(s: TrainingSession, mine: number): void {
  const choice = WEB_ENVS[envSelect.value];
  view = makeGreedyView({ ...choice, net: s.net, layout: s.layout, copies: 4 });
  const fps = choice.env === "catch" ? 8 : 30;
  let lastParams = -Infinity;
  let fetching = false;
  // The parameters come back behind the queued GPU work: fetched beside the animation, never
  // awaited by it.
  const refresh = () => {
    fetching = true;
    lastParams = performance.now();
    s.params().then((p) => mine === generation && view?.setParams(p), () => {})
      .finally(() => (fetching = false));
  };
  const tick = () => {
    if (mine !== generation || !view) return;
    if (performance.now() - lastParams > 1000 && !fetching) refresh();
    view.step();
    drawFrames(Array.from({ length: view.copies }, (_, i) => view!.frame(i)));
    viewTimer = setTimeout(tick, 1000 / fps);
  };
  tick();
}

function workerUrl(): URL {
  return new URL("dist/a3c_worker.js", document.baseURI);
}

async function train(): Promise<void> {
  page.runs++;
  setState("starting"); // at once: the old run's "done" must not answer for this one
  await reset();
  const mine = generation;
  errorBox.textContent = "";
  setState("starting");
  const algo = algoSelect.value;
  const seed = Number(seedInput.value) || 1;
  const totalSteps = Number(stepsInput.value) || undefined;
  const onLog = (record: SessionLog) => {
    if (mine !== generation) return;
    page.last = record;
    points.push(record);
    showStatus();
    drawCurve();
  };
  try {
    if (algo === "a3c") {
      session = await startA3cSession({
        env: envSelect.value,
        seed,
        totalSteps,
        workers: Number(workersInput.value) || 2,
        spawnWorker: () => new Worker(workerUrl(), { type: "module" }),
        onLog,
      });
    } else {
      const backend = algo === "a2c-webgpu" && page.webgpu ? "webgpu" : "cpu";
      session = await startA2cSession({ env: envSelect.value, backend, seed, totalSteps, onLog });
    }
  } catch (err) {
    fail(err);
    return;
  }
  if (mine !== generation) return;
  page.backend = session.backend;
  page.adapter = session.adapter;
  setState("training");
  showStatus();
  startView(session, mine);
  session.done.then(
    () => {
      if (mine !== generation) return;
      setState("done");
      showStatus();
    },
    (err) => mine === generation && fail(err),
  );
}

function fail(err: unknown): void {
  page.error = err instanceof Error ? err.message : String(err);
  errorBox.textContent = page.error;
  setState("error");
  console.error(err);
}

async function reset(): Promise<void> {
  const mine = ++generation;
  clearTimeout(viewTimer);
  const old = session;
  session = undefined;
  view = undefined;
  if (old) {
    old.stop();
    await old.done.catch(() => {});
    old.dispose();
  }
  points = [];
  page.last = null;
  page.backend = "";
  page.adapter = "";
  page.framesDrawn = 0;
  curve.innerHTML = "";
  statusLine.textContent = "idle";
  canvas.getContext("2d")!.clearRect(0, 0, canvas.width, canvas.height);
  if (mine === generation) setState("idle");
}

function download(name: string, bytes: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

trainButton.onclick = () => void train();
stopButton.onclick = () => session?.stop();
resetButton.onclick = () => void reset();
downloadButton.onclick = async () => {
  if (!session) return;
  try {
    const bytes = await session.checkpoint();
    download(
      "checkpoint.safetensors",
      bytes as Uint8Array<ArrayBuffer>,
      "application/octet-stream",
    );
  } catch (err) {
    errorBox.textContent = `checkpoint: ${err instanceof Error ? err.message : err}`;
  }
};
configButton.onclick = () => {
  if (!session) return;
  download("config.json", JSON.stringify(session.runInfo(), null, 2) + "\n", "application/json");
};
showNotes();
setState("idle");
