/**
 * The WebAssembly SIMD fast path against the twin `matmul`, and the layers routed through it
 * against the same layers on the twin.
 *
 * Tolerance: both sum k products in float32, in different orders, so each result may differ
 * from the exact sum by k·ε·Σ|a·b| (ε = 2⁻²⁴, the classic worst-case bound); the tests allow
 * twice that between the two, per element, with Σ|a·b| computed in float64.
 */

import assert from "node:assert/strict";
import { randomFloats as rand } from "../../src/bench/matmul.ts";
import {
  compileGemm,
  conv2dBackwardWasm,
  conv2dForwardWasm,
  gemm,
  GEMM_KC,
  GEMM_MC,
  GEMM_MIN_WORK,
  GEMM_MODULES,
  gemmBackend,
  gemmUnavailableMessage,
  setGemmBackend,
} from "../../src/nn/gemm.ts";
import { linearBackward, linearForward, matmul, type MatmulOptions } from "../../src/nn/linear.ts";
import { conv2dBackward, conv2dForward, type Conv2dShape } from "../../src/nn/conv2d.ts";
import { createLstmCache, lstmSequenceBackward, lstmSequenceForward } from "../../src/nn/lstm.ts";

const EPS = 2 ** -24;

/** Σ_kk |alpha·A(i,kk)·B(kk,j)| (+ |C| when accumulating), per element of C, in float64. */
function magnitudes(
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array,
  m: number,
  n: number,
  k: number,
  o: MatmulOptions,
): Float64Array {
  const out = new Float64Array(m * n);
  const alpha = Math.abs(o.alpha ?? 1);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let kk = 0; kk < k; kk++) {
        const av = o.transA ? a[kk * m + i] : a[i * k + kk];
        const bv = o.transB ? b[j * k + kk] : b[kk * n + j];
        s += Math.abs(av * bv);
      }
      out[i * n + j] = alpha * s + (o.accumulate ? Math.abs(c0[i * n + j]) : 0);
    }
  }
  return out;
}

function compare(m: number, n: number, k: number, o: MatmulOptions, seed: number): void {
  const a = rand(m * k, seed);
  const b = rand(k * n, seed + 1);
  const c0 = rand(m * n, seed + 2);
  const twin = c0.slice();
  const fast = c0.slice();
  matmul({ a, b, c: twin, m, n, k, ...o });
  gemm({ a, b, c: fast, m, n, k, ...o });
  const mag = magnitudes(a, b, c0, m, n, k, o);
  for (let i = 0; i < m * n; i++) {
    const tol = 2 * (k + 1) * EPS * mag[i] + 1e-30;
    if (!(Math.abs(fast[i] - twin[i]) <= tol)) {
      assert.fail(
        `(${m}, ${n}, ${k}) ${JSON.stringify(o)}: element ${i} fast ${fast[i]} twin ${twin[i]} ` +
          `tolerance ${tol}`,
      );
    }
  }
}

Deno.test("gemm: the WebAssembly SIMD kernel compiles on this engine", () => {
  assert.match(gemmBackend(), /^wasm-/);
  assert.deepEqual(compileGemm().errors, []);
});

// Odd sizes around the 4×8 tile, k = 1, k past one k block, m past one row block.
const SHAPES: [number, number, number][] = [
  [4, 8, 128],
  [5, 9, 1000],
  [130, 65, 1],
  [1, 1, 4096],
  [3, 37, 129],
  [13, 9, 513],
  [GEMM_MC + 7, 31, GEMM_KC + 3],
  [33, 256, 2 * GEMM_KC + 1],
  [64, 4, 17],
  [24, 40, 70],
  [8, 16, 8],
  [16, 8, 8],
  // One row or one column: the matrix-vector path where the layout allows it (a batch-1
  // linear layer, a value head), the kernel otherwise; k with a tail past the 8-float turns.
  [1, 256, 513],
  [37, 1, 259],
  [1, 6, 256],
  [1, 300, 7],
];

for (const [m, n, k] of SHAPES) {
  Deno.test(`gemm: (m, n, k) = (${m}, ${n}, ${k}) matches the twin in every form`, () => {
    assert.ok(m * n * k >= GEMM_MIN_WORK, "the shape takes the fast path");
    let seed = m * 1000 + n * 10 + k;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          for (const alpha of [1, -0.75]) {
            compare(m, n, k, { transA, transB, accumulate, alpha }, seed++);
          }
        }
      }
    }
  });
}

Deno.test("gemm: small products, float64 arrays and a forced twin run the twin exactly", () => {
  const cases: [Float32Array | Float64Array, number, number, number][] = [
    [rand(3 * 5, 1), 3, 4, 5], // below GEMM_MIN_WORK
    [Float64Array.from(rand(40 * 30, 2)), 40, 20, 30], // float64: the gradient checks
  ];
  for (const [a, m, n, k] of cases) {
    const b = a instanceof Float64Array ? Float64Array.from(rand(k * n, 3)) : rand(k * n, 3);
    const c1 = a instanceof Float64Array ? new Float64Array(m * n) : new Float32Array(m * n);
    const c2 = c1.slice();
    matmul({ a, b, c: c1, m, n, k, transB: false });
    gemm({ a, b, c: c2, m, n, k, transB: false });
    assert.deepEqual(c2, c1);
  }
  const [m, n, k] = [40, 20, 30];
  const a = rand(m * k, 4), b = rand(k * n, 5);
  const c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
  setGemmBackend("ts");
  try {
    assert.equal(gemmBackend(), "ts");
    matmul({ a, b, c: c1, m, n, k });
    gemm({ a, b, c: c2, m, n, k });
    assert.deepEqual(c2, c1);
  } finally {
    setGemmBackend(undefined);
  }
  assert.match(gemmBackend(), /^wasm-/);
});

Deno.test("gemm: the plain-SIMD module, forced, matches the twin too", () => {
  setGemmBackend("wasm-simd");
  try {
    assert.equal(gemmBackend(), "wasm-simd");
    for (const [m, n, k] of [[33, 256, 513], [13, 9, 513], [1, 256, 513], [37, 1, 259]] as const) {
      compare(m, n, k, { transB: true, accumulate: true, alpha: 0.5 }, 77);
      compare(m, n, k, { transA: true }, 78);
    }
  } finally {
    setGemmBackend(undefined);
  }
});

Deno.test("gemm: bad shapes throw like the twin, naming the argument", () => {
  const a = rand(64 * 64, 1);
  assert.throws(
    () => gemm({ a, b: a, c: new Float32Array(64 * 63), m: 64, n: 64, k: 64 }),
    /gemm: c has 4032/,
  );
  assert.throws(
    () => gemm({ a, b: a, c: new Float32Array(64 * 64), m: 64, n: 64, k: 65 }),
    /gemm: a has/,
  );
  assert.throws(() => gemm({ a, b: a, c: a, m: 64, n: 0, k: 64 }), /n must be a positive integer/);
});

Deno.test("gemm: a module that fails to compile is reported with its reason", () => {
  const bad = { backend: "wasm-simd" as const, base64: btoa("not wasm") };
  const result = compileGemm([bad]);
  assert.equal(result.backend, "ts");
  assert.equal(result.errors.length, 1);
  assert.match(result.errors[0], /^wasm-simd: WebAssembly.validate refused the module/);
  assert.match(gemmUnavailableMessage(result.errors), /TypeScript loops run \(wasm-simd: /);
  // The embedded ones after a bad one: the first good module wins, the bad one is named.
  const fallback = compileGemm([bad, ...GEMM_MODULES]);
  assert.equal(fallback.backend, GEMM_MODULES[0].backend);
  assert.equal(fallback.errors.length, 1);
});

Deno.test("gemm: when no module compiles, the TypeScript loops run and it is said once (child process)", async () => {
  // A fresh isolate whose WebAssembly refuses every module, as an engine without SIMD would.
  const code = `
    WebAssembly.validate = () => false;
    const { gemm, gemmBackend } = await import(${
    JSON.stringify(import.meta.resolve("../../src/nn/gemm.ts"))
  });
    const { matmul } = await import(${
    JSON.stringify(import.meta.resolve("../../src/nn/linear.ts"))
  });
    const [m, n, k] = [33, 70, 129]; // past GEMM_MIN_WORK, so the fast path would be asked
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
    matmul({ a, b, c: c1, m, n, k });
    gemm({ a, b, c: c2, m, n, k });
    gemm({ a, b, c: c2, m, n, k });
    console.log(JSON.stringify({ backend: gemmBackend(), same: c1.every((v, i) => v === c2[i]) }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { backend: "ts", same: true });
  const said = stderr.match(
    /the WebAssembly SIMD kernel is unavailable, the TypeScript loops run/g,
  );
  assert.equal(said?.length, 1, stderr);
  assert.match(stderr, /WebAssembly.validate refused the module/);
});

/** Max |x − y| / (1 + max |y|) over two arrays. */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst / (1 + scale);
}

Deno.test("gemm: linear forward and backward on the fast path match the twin", () => {
  const [B, I, O] = [7, 300, 37];
  const x = rand(B * I, 1), w = rand(O * I, 2), b = rand(O, 3), dy = rand(B * O, 4);
  const y1 = new Float32Array(B * O), y2 = new Float32Array(B * O);
  linearForward({ x, w, b, y: y1, batch: B, inFeatures: I, outFeatures: O });
  linearForward({ x, w, b, y: y2, batch: B, inFeatures: I, outFeatures: O, matmul: gemm });
  assert.ok(relErr(y2, y1) < 1e-5);
  const g = () => ({
    dx: rand(B * I, 5),
    dw: rand(O * I, 6),
    db: rand(O, 7),
  });
  const g1 = g(), g2 = g();
  const args = { x, w, dy, batch: B, inFeatures: I, outFeatures: O, accumulate: true };
  linearBackward({ ...args, ...g1 });
  linearBackward({ ...args, ...g2, matmul: gemm });
  for (const key of ["dx", "dw", "db"] as const) assert.ok(relErr(g2[key], g1[key]) < 1e-5, key);
});

Deno.test("gemm: conv2d forward and backward (im2col) on the fast path match the twin", () => {
  const s: Conv2dShape = {
    batch: 3,
    inChannels: 5,
    inHeight: 13,
    inWidth: 11,
    outChannels: 7,
    kernelH: 3,
    kernelW: 3,
    stride: 2,
    padding: 1,
  };
  const OH = 7, OW = 6;
  const x = rand(3 * 5 * 13 * 11, 1), w = rand(7 * 5 * 9, 2), bias = rand(7, 3);
  const dy = rand(3 * 7 * OH * OW, 4);
  const y1 = new Float32Array(dy.length), y2 = new Float32Array(dy.length);
  conv2dForward(s, { x, w, b: bias, y: y1 });
  conv2dForward(s, { x, w, b: bias, y: y2, matmul: gemm });
  assert.ok(relErr(y2, y1) < 1e-5);
  const g = () => ({
    dx: new Float32Array(x.length),
    dw: new Float32Array(w.length),
    db: new Float32Array(7),
  });
  const g1 = g(), g2 = g();
  conv2dBackward(s, { x, w, dy, ...g1 });
  conv2dBackward(s, { x, w, dy, ...g2, matmul: gemm });
  for (const key of ["dx", "dw", "db"] as const) assert.ok(relErr(g2[key], g1[key]) < 1e-5, key);
  // u8 pixels, no padding: the first layer of the Atari nets.
  const s8 = { ...s, padding: 0, stride: 3, kernelH: 4, kernelW: 4 };
  const x8 = Uint8Array.from(rand(x.length, 9), (v) => Math.floor((v + 0.5) * 255));
  const n8 = 3 * 7 * 4 * 3;
  const z1 = new Float32Array(n8), z2 = new Float32Array(n8);
  const w8 = rand(7 * 5 * 16, 10);
  conv2dForward(s8, { x: x8, w: w8, y: z1 });
  conv2dForward(s8, { x: x8, w: w8, y: z2, matmul: gemm });
  assert.ok(relErr(z2, z1) < 1e-5);
});

Deno.test("gemm: the LSTM's gate products on the fast path match the twin", () => {
  const [T, B, I, H] = [3, 5, 40, 32];
  const params = { wIh: rand(4 * H * I, 1), wHh: rand(4 * H * H, 2), b: rand(4 * H, 3) };
  const x = rand(T * B * I, 4);
  const starts = Uint32Array.from({ length: T * B }, (_, i) => (i === 7 ? 1 : 0));
  const h0 = rand(B * H, 5), c0 = rand(B * H, 6), dhs = rand(T * B * H, 7);
  const run = (fast: boolean) => {
    const cache = createLstmCache({ T, B, H });
    const hs = new Float32Array(T * B * H);
    lstmSequenceForward({
      params,
      x,
      starts,
      h0,
      c0,
      T,
      B,
      I,
      H,
      cache,
      hs,
      matmul: fast ? gemm : matmul,
    });
    const grads = {
      dwIh: new Float32Array(4 * H * I),
      dwHh: new Float32Array(4 * H * H),
      db: new Float32Array(4 * H),
    };
    const dx = new Float32Array(T * B * I);
    const dh0 = new Float32Array(B * H);
    lstmSequenceBackward({
      params,
      x,
      starts,
      cache,
      dhs,
      T,
      B,
      I,
      H,
      grads,
      dx,
      dh0,
      matmul: fast ? gemm : matmul,
    });
    return { hs, dx, dh0, ...grads };
  };
  const twin = run(false), fast = run(true);
  for (const key of Object.keys(twin) as (keyof typeof twin)[]) {
    assert.ok(relErr(fast[key], twin[key]) < 1e-5, key);
  }
});

Deno.test("gemm: conv2d over u8 pixels (im2col in WebAssembly) matches the twin", () => {
  const shapes: Conv2dShape[] = [
    // The FF net's first layer (84×84×4, 8×8/4), and the LSTM net's (42×42×1, 3×3/2 pad 1).
    {
      batch: 2,
      inChannels: 4,
      inHeight: 84,
      inWidth: 84,
      outChannels: 16,
      kernelH: 8,
      kernelW: 8,
      stride: 4,
      padding: 0,
    },
    {
      batch: 3,
      inChannels: 1,
      inHeight: 42,
      inWidth: 42,
      outChannels: 32,
      kernelH: 3,
      kernelW: 3,
      stride: 2,
      padding: 1,
    },
    {
      batch: 2,
      inChannels: 3,
      inHeight: 13,
      inWidth: 11,
      outChannels: 7,
      kernelH: 4,
      kernelW: 3,
      stride: 3,
      padding: 2,
    },
    // The vector loop (rows wholly inside the frame, four entries a load, stride ≤ 5) and the
    // scalar rest: Pong's worker (42×42, 8×8/4, pad 1, OW 10), strides 1, 3 and 5 with OW 29, 9
    // and 9, and stride 6, which the vector loop does not take.
    {
      batch: 2,
      inChannels: 4,
      inHeight: 42,
      inWidth: 42,
      outChannels: 16,
      kernelH: 8,
      kernelW: 8,
      stride: 4,
      padding: 1,
    },
    {
      batch: 2,
      inChannels: 2,
      inHeight: 9,
      inWidth: 31,
      outChannels: 5,
      kernelH: 3,
      kernelW: 3,
      stride: 1,
      padding: 0,
    },
    {
      batch: 2,
      inChannels: 3,
      inHeight: 20,
      inWidth: 27,
      outChannels: 6,
      kernelH: 3,
      kernelW: 3,
      stride: 3,
      padding: 0,
    },
    {
      batch: 2,
      inChannels: 1,
      inHeight: 26,
      inWidth: 46,
      outChannels: 8,
      kernelH: 5,
      kernelW: 5,
      stride: 5,
      padding: 0,
    },
    {
      batch: 2,
      inChannels: 1,
      inHeight: 26,
      inWidth: 60,
      outChannels: 8,
      kernelH: 6,
      kernelW: 6,
      stride: 6,
      padding: 0,
    },
  ];
  for (const s of shapes) {
    const OH = Math.floor((s.inHeight + 2 * s.padding - s.kernelH) / s.stride) + 1;
    const OW = Math.floor((s.inWidth + 2 * s.padding - s.kernelW) / s.stride) + 1;
    const nx = s.batch * s.inChannels * s.inHeight * s.inWidth;
    const x = Uint8Array.from(rand(nx, 1), (v) => Math.floor((v + 0.5) * 256));
    const w = rand(s.outChannels * s.inChannels * s.kernelH * s.kernelW, 2);
    const bias = rand(s.outChannels, 3);
    const ny = s.batch * s.outChannels * OH * OW;
    const y1 = new Float32Array(ny), y2 = new Float32Array(ny);
    conv2dForward(s, { x, w, b: bias, y: y1 });
    assert.ok(conv2dForwardWasm(s, { x, w, b: bias, y: y2 }), "the fast path takes it");
    assert.ok(relErr(y2, y1) < 1e-5, `forward ${JSON.stringify(s)}`);
    const dy = rand(ny, 4);
    for (const accumulate of [false, true]) {
      const g1 = { dw: rand(w.length, 5), db: rand(s.outChannels, 6) };
      const g2 = { dw: g1.dw.slice(), db: g1.db.slice() };
      conv2dBackward(s, { x, w, dy, ...g1, accumulate });
      assert.ok(conv2dBackwardWasm(s, { x, w, dy, ...g2, accumulate }));
      assert.ok(relErr(g2.dw, g1.dw) < 1e-5, `dw accumulate=${accumulate}`);
      assert.ok(relErr(g2.db, g1.db) < 1e-5, `db accumulate=${accumulate}`);
    }
  }
  // What it cannot take it leaves to the twin: a forced twin, float64 weights.
  const s = shapes[2];
  const x = new Uint8Array(2 * 3 * 13 * 11);
  const y = new Float32Array(2 * 7 * 5 * 5);
  setGemmBackend("ts");
  try {
    assert.equal(conv2dForwardWasm(s, { x, w: rand(7 * 3 * 12, 1), y }), false);
  } finally {
    setGemmBackend(undefined);
  }
  assert.equal(conv2dForwardWasm(s, { x, w: new Float64Array(7 * 3 * 12), y }), false);
  assert.throws(() => conv2dForwardWasm(s, { x, w: rand(5, 1), y }), /conv2d.forward: w has 5/);
});

Deno.test("gemm: conv2d over floats (im2col and col2im in WebAssembly) matches the twin", () => {
  const shapes: Conv2dShape[] = [
    // The FF net's second layer, the LSTM net's later ones, an odd one.
    {
      batch: 3,
      inChannels: 16,
      inHeight: 20,
      inWidth: 20,
      outChannels: 32,
      kernelH: 4,
      kernelW: 4,
      stride: 2,
      padding: 0,
    },
    {
      batch: 4,
      inChannels: 32,
      inHeight: 11,
      inWidth: 11,
      outChannels: 32,
      kernelH: 3,
      kernelW: 3,
      stride: 2,
      padding: 1,
    },
    {
      batch: 2,
      inChannels: 3,
      inHeight: 9,
      inWidth: 14,
      outChannels: 5,
      kernelH: 3,
      kernelW: 5,
      stride: 1,
      padding: 2,
    },
  ];
  for (const s of shapes) {
    const OH = Math.floor((s.inHeight + 2 * s.padding - s.kernelH) / s.stride) + 1;
    const OW = Math.floor((s.inWidth + 2 * s.padding - s.kernelW) / s.stride) + 1;
    const nx = s.batch * s.inChannels * s.inHeight * s.inWidth;
    const x = rand(nx, 11);
    const w = rand(s.outChannels * s.inChannels * s.kernelH * s.kernelW, 12);
    const bias = rand(s.outChannels, 13);
    const ny = s.batch * s.outChannels * OH * OW;
    const y1 = new Float32Array(ny), y2 = new Float32Array(ny);
    conv2dForward(s, { x, w, b: bias, y: y1 });
    assert.ok(conv2dForwardWasm(s, { x, w, b: bias, y: y2 }), "the fast path takes it");
    assert.ok(relErr(y2, y1) < 1e-5, `forward ${JSON.stringify(s)}`);
    const dy = rand(ny, 14);
    for (const accumulate of [false, true]) {
      const g1 = { dx: rand(nx, 15), dw: rand(w.length, 16), db: rand(s.outChannels, 17) };
      const g2 = { dx: g1.dx.slice(), dw: g1.dw.slice(), db: g1.db.slice() };
      conv2dBackward(s, { x, w, dy, ...g1, accumulate });
      assert.ok(conv2dBackwardWasm(s, { x, w, dy, ...g2, accumulate }));
      for (const key of ["dx", "dw", "db"] as const) {
        assert.ok(relErr(g2[key], g1[key]) < 1e-5, `${key} accumulate=${accumulate}`);
      }
    }
    // dx alone, dw alone.
    const dxOnly = new Float32Array(nx), dxRef = new Float32Array(nx);
    conv2dBackward(s, { x, w, dy, dx: dxRef });
    assert.ok(conv2dBackwardWasm(s, { x, w, dy, dx: dxOnly }));
    assert.ok(relErr(dxOnly, dxRef) < 1e-5);
  }
  // A u8 input asked for dx is the twin's to refuse.
  const s = shapes[2];
  const x8 = new Uint8Array(2 * 3 * 9 * 14);
  const dy = new Float32Array(2 * 5 * 11 * 14);
  const w = rand(5 * 3 * 15, 1);
  assert.equal(conv2dBackwardWasm(s, { x: x8, w, dy, dx: new Float32Array(x8.length) }), false);
});
