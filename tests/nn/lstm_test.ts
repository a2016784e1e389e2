import assert from "node:assert/strict";
import {
  createLstmCache,
  lstmCellBackward,
  lstmCellForward,
  type LstmGrads,
  type LstmParams,
  lstmSequenceBackward,
  lstmSequenceForward,
} from "../../src/nn/lstm.ts";
import {
  createLstmGpuCache,
  type LstmGpuGrads,
  type LstmGpuParams,
  recordLstmCellBackward,
  recordLstmCellForward,
  recordLstmSequenceBackward,
  recordLstmSequenceForward,
} from "../../src/nn/lstm_gpu.ts";
import type { Gpu } from "../../src/gpu/device.ts";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import type { Floats } from "../../src/nn/types.ts";
import { assertClose, dot, gpuTest, numericGradient, randomArray } from "../util.ts";

function makeParams(I: number, H: number, seed: number, f64 = true): LstmParams {
  const arr = (n: number, s: number) => {
    const a = randomArray(n, s, -0.6, 0.6);
    return f64 ? a : new Float32Array(a);
  };
  return { wIh: arr(4 * H * I, seed), wHh: arr(4 * H * H, seed + 1), b: arr(4 * H, seed + 2) };
}

function zeroGrads(I: number, H: number, f64 = true): LstmGrads {
  const z = (n: number) => (f64 ? new Float64Array(n) : new Float32Array(n));
  return { dwIh: z(4 * H * I), dwHh: z(4 * H * H), db: z(4 * H) };
}

/** starts [T, B]: sequence 2 resets at t = 0, sequence 1 at t = `reset` (when T > reset). */
function makeStarts(T: number, B: number, reset: number): Uint32Array {
  const s = new Uint32Array(T * B);
  if (B > 2) s[2] = 1;
  if (T > reset && B > 1) s[reset * B + 1] = 1;
  return s;
}

// ---------------------------------------------------------------- finite differences (float64)

Deno.test("lstm cell: backward matches finite differences for every input and weight (float64)", () => {
  const B = 3, I = 5, H = 6;
  const p = makeParams(I, H, 10);
  const x = randomArray(B * I, 20);
  const hPrev = randomArray(B * H, 21);
  const cPrev = randomArray(B * H, 22);
  const starts = new Uint32Array([0, 1, 0]); // sequence 1 starts an episode: its state is zeroed
  const wh = randomArray(B * H, 23);
  const wc = randomArray(B * H, 24);
  const cache = createLstmCache({ T: 1, B, H, float64: true });
  const h = new Float64Array(B * H);
  const c = new Float64Array(B * H);
  const loss = () => {
    lstmCellForward({ params: p, x, starts, hPrev, cPrev, B, I, H, cache, h, c });
    return dot(wh, h) + dot(wc, c);
  };
  const numeric = {
    x: numericGradient(loss, x),
    h: numericGradient(loss, hPrev),
    c: numericGradient(loss, cPrev),
    wIh: numericGradient(loss, p.wIh),
    wHh: numericGradient(loss, p.wHh),
    b: numericGradient(loss, p.b),
  };
  loss();
  const grads = zeroGrads(I, H);
  const dx = new Float64Array(B * I);
  const dh = new Float64Array(B * H);
  const dc = new Float64Array(B * H);
  const dGates = new Float64Array(B * 4 * H);
  lstmCellBackward({
    params: p,
    x,
    starts,
    cache,
    dhNext: wh,
    dcNext: wc,
    B,
    I,
    H,
    grads,
    dx,
    dh,
    dc,
    dGates,
  });
  const tol = { atol: 1e-8, rtol: 1e-6 };
  assertClose(dx, numeric.x, { ...tol, name: "dx" });
  assertClose(dh, numeric.h, { ...tol, name: "dh" });
  assertClose(dc, numeric.c, { ...tol, name: "dc" });
  assertClose(grads.dwIh, numeric.wIh, { ...tol, name: "dwIh" });
  assertClose(grads.dwHh, numeric.wHh, { ...tol, name: "dwHh" });
  assertClose(grads.db, numeric.b, { ...tol, name: "db" });
  // db is the batch sum of the gate gradients.
  const colsum = new Float64Array(4 * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < 4 * H; j++) colsum[j] += dGates[b * 4 * H + j];
  assertClose(colsum, grads.db, { ...tol, name: "sum of dGates" });
  // The reset row's incoming state gets exactly no gradient.
  for (let j = 0; j < H; j++) {
    assert.ok(dh[H + j] === 0 && dc[H + j] === 0, "the reset row's dh, dc are 0"); // ±0
  }
  // Backward adds to the weight gradients.
  lstmCellBackward({ params: p, x, starts, cache, dhNext: wh, dcNext: wc, B, I, H, grads, dx });
  assertClose(grads.db, numeric.b.map((v) => 2 * v), { ...tol, name: "db accumulated twice" });
});

Deno.test("lstm sequence: backward matches finite differences, with resets (float64)", () => {
  const T = 4, B = 3, I = 5, H = 6, reset = 2;
  const p = makeParams(I, H, 30);
  const x = randomArray(T * B * I, 40);
  const h0 = randomArray(B * H, 41);
  const c0 = randomArray(B * H, 42);
  const starts = makeStarts(T, B, reset);
  const wHs = randomArray(T * B * H, 43);
  const whT = randomArray(B * H, 44);
  const wcT = randomArray(B * H, 45);
  const cache = createLstmCache({ T, B, H, float64: true });
  const hs = new Float64Array(T * B * H);
  const hT = new Float64Array(B * H);
  const cT = new Float64Array(B * H);
  const loss = () => {
    lstmSequenceForward({ params: p, x, starts, h0, c0, T, B, I, H, cache, hs, hT, cT });
    return dot(wHs, hs) + dot(whT, hT) + dot(wcT, cT);
  };
  const numeric = {
    x: numericGradient(loss, x),
    h0: numericGradient(loss, h0),
    c0: numericGradient(loss, c0),
    wIh: numericGradient(loss, p.wIh),
    wHh: numericGradient(loss, p.wHh),
    b: numericGradient(loss, p.b),
  };
  loss();
  // The final state is the last step's.
  assert.deepEqual(hT, hs.slice((T - 1) * B * H));
  assert.deepEqual(cT, cache.c.slice((T - 1) * B * H));
  const grads = zeroGrads(I, H);
  const dx = new Float64Array(T * B * I);
  const dh0 = new Float64Array(B * H);
  const dc0 = new Float64Array(B * H);
  lstmSequenceBackward({
    params: p,
    x,
    starts,
    cache,
    dhs: wHs,
    T,
    B,
    I,
    H,
    grads,
    dx,
    dhT: whT,
    dcT: wcT,
    dh0,
    dc0,
  });
  const tol = { atol: 1e-8, rtol: 1e-6 };
  assertClose(dx, numeric.x, { ...tol, name: "dx" });
  assertClose(dh0, numeric.h0, { ...tol, name: "dh0" });
  assertClose(dc0, numeric.c0, { ...tol, name: "dc0" });
  assertClose(grads.dwIh, numeric.wIh, { ...tol, name: "dwIh" });
  assertClose(grads.dwHh, numeric.wHh, { ...tol, name: "dwHh" });
  assertClose(grads.db, numeric.b, { ...tol, name: "db" });
  // Sequence 2 resets at t = 0: its initial state gets no gradient; sequence 0's does.
  for (let j = 0; j < H; j++) {
    assert.ok(dh0[2 * H + j] === 0 && dc0[2 * H + j] === 0, "dh0, dc0 of sequence 2 are 0"); // ±0
  }
  assert.ok(dh0.slice(0, H).some((v) => Math.abs(v) > 1e-6));
});

Deno.test("lstm sequence: no gradient crosses a reset", () => {
  const T = 4, B = 3, I = 5, H = 6, reset = 2;
  const p = makeParams(I, H, 50);
  const x = randomArray(T * B * I, 51);
  const h0 = randomArray(B * H, 52);
  const c0 = randomArray(B * H, 53);
  const starts = makeStarts(T, B, reset);
  const cache = createLstmCache({ T, B, H, float64: true });
  const hs = new Float64Array(T * B * H);
  lstmSequenceForward({ params: p, x, starts, h0, c0, T, B, I, H, cache, hs });
  const backward = (dhs: Float64Array, dhT?: Float64Array) => {
    const dx = new Float64Array(T * B * I);
    const dh0 = new Float64Array(B * H);
    lstmSequenceBackward({
      params: p,
      x,
      starts,
      cache,
      dhs,
      T,
      B,
      I,
      H,
      grads: zeroGrads(I, H),
      dx,
      dhT,
      dcT: dhT,
      dh0,
    });
    return { dx, dh0 };
  };
  const dxAt = (dx: Float64Array, t: number, b: number) =>
    dx.slice((t * B + b) * I, (t * B + b + 1) * I);

  // A loss on the outputs at and after the reset only (plus the final state).
  const after = randomArray(T * B * H, 54).map((v, k) => (k >= reset * B * H ? v : 0));
  const late = backward(after, randomArray(B * H, 55));
  for (let t = 0; t < reset; t++) {
    // Sequence 1 before its reset: exactly no gradient from after the reset.
    assert.deepEqual(dxAt(late.dx, t, 1), new Float64Array(I), `dx[t=${t}, b=1]`);
    // Sequence 0 (no reset) does receive gradient from later outputs: the check can fail.
    assert.ok(dxAt(late.dx, t, 0).some((v) => Math.abs(v) > 1e-6), `dx[t=${t}, b=0] nonzero`);
  }
  for (let j = 0; j < H; j++) assert.ok(late.dh0[H + j] === 0, "dh0 of the reset sequence");

  // And the full loss gives sequence 1 before the reset the same dx as the loss on the
  // outputs before the reset alone.
  const full = randomArray(T * B * H, 56);
  const early = full.map((v, k) => (k < reset * B * H ? v : 0));
  const a = backward(full);
  const e = backward(early);
  for (let t = 0; t < reset; t++) {
    assertClose(dxAt(a.dx, t, 1), dxAt(e.dx, t, 1), { atol: 1e-15, rtol: 0, name: `dx[${t},1]` });
  }
});

// ---------------------------------------------------------------- validation

Deno.test("lstm: shape errors name the kernel, the argument and the shapes", () => {
  const T = 2, B = 3, I = 5, H = 6;
  const p = makeParams(I, H, 60);
  const cache = createLstmCache({ T, B, H, float64: true });
  const ok = {
    x: new Float64Array(T * B * I),
    starts: new Uint32Array(T * B),
    h0: new Float64Array(B * H),
    c0: new Float64Array(B * H),
    hs: new Float64Array(T * B * H),
  };
  const fwd = (o: Partial<typeof ok>, params = p, c = cache) => {
    const a = { ...ok, ...o };
    lstmSequenceForward({
      params,
      x: a.x,
      starts: a.starts,
      h0: a.h0,
      c0: a.c0,
      T,
      B,
      I,
      H,
      cache: c,
      hs: a.hs,
    });
  };
  fwd({}); // well formed
  assert.throws(
    () => fwd({ x: new Float64Array(T * B * I + 1) }),
    (e: Error) =>
      e instanceof RangeError &&
      e.message ===
        "lstm.sequenceForward: x has 31 elements, expected shape [2, 3, 5] (30 elements)",
  );
  assert.throws(
    () => fwd({ starts: new Uint32Array(B) }),
    /lstm.sequenceForward: starts .*\[2, 3\]/,
  );
  assert.throws(() => fwd({ h0: new Float64Array(H) }), /lstm.sequenceForward: h0 .*\[3, 6\]/);
  assert.throws(
    () => fwd({}, { ...p, wHh: new Float64Array(4 * H * I) }),
    /lstm.sequenceForward: wHh has 120 elements, expected shape \[24, 6\]/,
  );
  assert.throws(
    () => fwd({}, p, createLstmCache({ T: T + 1, B, H, float64: true })),
    /lstm.sequenceForward: cache was made for \[T, B, H\] = \[3, 3, 6\], expected \[2, 3, 6\]/,
  );
  assert.throws(
    () =>
      lstmSequenceForward({
        params: p,
        x: ok.x,
        starts: ok.starts,
        h0: ok.h0,
        c0: ok.c0,
        T: 0,
        B,
        I,
        H,
        cache,
        hs: ok.hs,
      }),
    /lstm.sequenceForward: T must be a positive integer, got 0/,
  );
  assert.throws(
    () =>
      lstmSequenceBackward({
        params: p,
        x: ok.x,
        starts: ok.starts,
        cache,
        dhs: ok.hs,
        T,
        B,
        I,
        H,
        grads: zeroGrads(I, H),
        dx: ok.x,
        dh0: new Float64Array(4),
      }),
    /lstm.sequenceBackward: dh0 has 4 elements, expected shape \[3, 6\]/,
  );
  assert.throws(
    () =>
      lstmSequenceBackward({
        params: p,
        x: ok.x,
        starts: ok.starts,
        cache,
        dhs: ok.hs,
        T,
        B,
        I,
        H,
        grads: zeroGrads(I, H + 1),
        dx: ok.x,
      }),
    /lstm.sequenceBackward: dwIh has 140 elements, expected shape \[24, 5\]/,
  );
  const cell = createLstmCache({ T: 1, B, H, float64: true });
  assert.throws(
    () =>
      lstmCellForward({
        params: p,
        x: new Float64Array(B * I),
        starts: new Uint32Array(T * B),
        hPrev: ok.h0,
        cPrev: ok.c0,
        B,
        I,
        H,
        cache: cell,
        h: ok.h0,
        c: ok.c0,
      }),
    /lstm.cellForward: starts has 6 elements, expected shape \[3\]/,
  );
});

gpuTest(
  "lstm: GPU recorders reject wrong buffer sizes, naming kernel, argument and shape",
  async (gpu) => {
    const T = 2, B = 3, I = 5, H = 13;
    const g = upload(gpu, makeParams(I, H, 70, false));
    const buf = (n: number) => createStorageBuffer(gpu, n * 4);
    const args = {
      params: g,
      x: buf(T * B * I),
      starts: buf(T * B),
      h0: buf(B * H),
      c0: buf(B * H),
      T,
      B,
      I,
      H,
      cache: createLstmGpuCache(gpu, { T, B, H }),
      hs: buf(T * B * H),
    };
    await recordLstmSequenceForward(gpu, args); // well formed
    await assert.rejects(
      () => recordLstmSequenceForward(gpu, { ...args, hs: buf(T * B * H - 1) }),
      (e: Error) =>
        e instanceof RangeError &&
        e.message ===
          "lstm.sequenceForward: hs holds 77 floats, expected shape [2, 3, 13] (78 floats)",
    );
    await assert.rejects(
      () =>
        recordLstmSequenceForward(gpu, {
          ...args,
          cache: createLstmGpuCache(gpu, { T, B: B + 1, H }),
        }),
      /lstm.sequenceForward: cache was made for \[T, B, H\] = \[2, 4, 13\], expected \[2, 3, 13\]/,
    );
    await assert.rejects(
      () => recordLstmSequenceForward(gpu, { ...args, params: { ...g, b: buf(4 * H - 1) } }),
      /lstm.sequenceForward: b holds 51 floats, expected shape \[52\]/,
    );
    const grads = uploadGrads(gpu, zeroGrads(I, H, false));
    await assert.rejects(
      () =>
        recordLstmSequenceBackward(gpu, {
          ...args,
          dhs: args.hs,
          grads,
          dx: buf(T * B * I),
          dc0: buf(B),
        }),
      /lstm.sequenceBackward: dc0 holds 3 floats, expected shape \[3, 13\]/,
    );
    await assert.rejects(
      () =>
        recordLstmCellBackward(gpu, {
          params: g,
          x: buf(B * I),
          cache: createLstmGpuCache(gpu, { T: 1, B, H }),
          dhNext: buf(H),
          B,
          I,
          H,
          grads,
          dx: buf(B * I),
        }),
      /lstm.cellBackward: dhNext holds 13 floats, expected shape \[3, 13\]/,
    );
  },
);

// ---------------------------------------------------------------- GPU vs twin

function upload(gpu: Gpu, p: LstmParams): LstmGpuParams {
  return {
    wIh: createStorageBuffer(gpu, new Float32Array(p.wIh)),
    wHh: createStorageBuffer(gpu, new Float32Array(p.wHh)),
    b: createStorageBuffer(gpu, new Float32Array(p.b)),
  };
}

function uploadGrads(gpu: Gpu, g: LstmGrads): LstmGpuGrads & Record<keyof LstmGrads, GPUBuffer> {
  return {
    dwIh: createStorageBuffer(gpu, new Float32Array(g.dwIh)),
    dwHh: createStorageBuffer(gpu, new Float32Array(g.dwHh)),
    db: createStorageBuffer(gpu, new Float32Array(g.db)),
  };
}

const f32 = (a: Floats) => new Float32Array(a);

// Forward: one step is a few sums of ≤ 20 products and transcendentals (ulps apart between
// WGSL and JS); the sequence compounds over T steps. Backward sums run over T·B rows.
// Measured on llvmpipe: worst forward error ≈ 1.5e-7, worst backward error ≈ 2e-7; the
// margins leave room for hardware exp/tanh, and a wrong formula misses by ≫ 1e-3.
const FWD_TOL = { atol: 2e-6, rtol: 1e-5 };
const BWD_TOL = { atol: 1e-5, rtol: 1e-4 };

gpuTest("lstm cell: WGSL forward and backward match the twin (B=3, I=7, H=13)", async (gpu) => {
  const B = 3, I = 7, H = 13;
  const p = makeParams(I, H, 80, false);
  const x = f32(randomArray(B * I, 81, -2, 2));
  const hPrev = f32(randomArray(B * H, 82));
  const cPrev = f32(randomArray(B * H, 83, -2, 2));
  const starts = new Uint32Array([0, 0, 1]);
  const dhNext = f32(randomArray(B * H, 84));
  const dcNext = f32(randomArray(B * H, 85));
  const grads0 = {
    dwIh: f32(randomArray(4 * H * I, 86)),
    dwHh: f32(randomArray(4 * H * H, 87)),
    db: f32(randomArray(4 * H, 88)),
  };
  // Twin in float32.
  const cache = createLstmCache({ T: 1, B, H });
  const h = new Float32Array(B * H);
  const c = new Float32Array(B * H);
  lstmCellForward({ params: p, x, starts, hPrev, cPrev, B, I, H, cache, h, c });
  const grads = { dwIh: grads0.dwIh.slice(), dwHh: grads0.dwHh.slice(), db: grads0.db.slice() };
  const dx = new Float32Array(B * I);
  const dh = new Float32Array(B * H);
  const dc = new Float32Array(B * H);
  const dGates = new Float32Array(B * 4 * H);
  lstmCellBackward({
    params: p,
    x,
    starts,
    cache,
    dhNext,
    dcNext,
    B,
    I,
    H,
    grads,
    dx,
    dh,
    dc,
    dGates,
  });

  const gp = upload(gpu, p);
  const gg = uploadGrads(gpu, grads0);
  const gcache = createLstmGpuCache(gpu, { T: 1, B, H });
  const buf = (a: Floats | Uint32Array) => createStorageBuffer(gpu, a);
  const out = {
    h: buf(new Float32Array(B * H)),
    c: buf(new Float32Array(B * H)),
    dx: buf(new Float32Array(B * I)),
    dh: buf(new Float32Array(B * H)),
    dc: buf(new Float32Array(B * H)),
    dGates: buf(new Float32Array(B * 4 * H)),
  };
  const xb = buf(x);
  const sb = buf(starts);
  await runPlan(gpu, [
    ...await recordLstmCellForward(gpu, {
      params: gp,
      x: xb,
      starts: sb,
      hPrev: buf(hPrev),
      cPrev: buf(cPrev),
      B,
      I,
      H,
      cache: gcache,
      h: out.h,
      c: out.c,
    }),
    ...await recordLstmCellBackward(gpu, {
      params: gp,
      x: xb,
      starts: sb,
      cache: gcache,
      dhNext: buf(dhNext),
      dcNext: buf(dcNext),
      B,
      I,
      H,
      grads: gg,
      dx: out.dx,
      dh: out.dh,
      dc: out.dc,
      dGates: out.dGates,
    }),
  ]);
  assertClose(await readFloats(gpu, out.h), h, { ...FWD_TOL, name: "h'" });
  assertClose(await readFloats(gpu, out.c), c, { ...FWD_TOL, name: "c'" });
  assertClose(await readFloats(gpu, gcache.buffer), cache.data, { ...FWD_TOL, name: "cache" });
  assertClose(await readFloats(gpu, out.dGates), dGates, { ...BWD_TOL, name: "dGates" });
  assertClose(await readFloats(gpu, out.dx), dx, { ...BWD_TOL, name: "dx" });
  assertClose(await readFloats(gpu, out.dh), dh, { ...BWD_TOL, name: "dh" });
  assertClose(await readFloats(gpu, out.dc), dc, { ...BWD_TOL, name: "dc" });
  assertClose(await readFloats(gpu, gg.dwIh), grads.dwIh, { ...BWD_TOL, name: "dwIh" });
  assertClose(await readFloats(gpu, gg.dwHh), grads.dwHh, { ...BWD_TOL, name: "dwHh" });
  assertClose(await readFloats(gpu, gg.db), grads.db, { ...BWD_TOL, name: "db" });
});

gpuTest(
  "lstm sequence: WGSL forward and backward match the twin (T=5, B=3, I=7, H=13)",
  async (gpu) => {
    const T = 5, B = 3, I = 7, H = 13, reset = 3;
    const p = makeParams(I, H, 90, false);
    const x = f32(randomArray(T * B * I, 91, -2, 2));
    const h0 = f32(randomArray(B * H, 92));
    const c0 = f32(randomArray(B * H, 93, -2, 2));
    const starts = makeStarts(T, B, reset);
    const dhs = f32(randomArray(T * B * H, 94));
    const dhT = f32(randomArray(B * H, 95));
    const dcT = f32(randomArray(B * H, 96));
    // Twin in float32.
    const cache = createLstmCache({ T, B, H });
    const hs = new Float32Array(T * B * H);
    const hT = new Float32Array(B * H);
    const cT = new Float32Array(B * H);
    lstmSequenceForward({ params: p, x, starts, h0, c0, T, B, I, H, cache, hs, hT, cT });
    const grads = zeroGrads(I, H, false);
    const dx = new Float32Array(T * B * I);
    const dh0 = new Float32Array(B * H);
    const dc0 = new Float32Array(B * H);
    lstmSequenceBackward({
      params: p,
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
      dhT,
      dcT,
      dh0,
      dc0,
    });

    const gp = upload(gpu, p);
    const gg = uploadGrads(gpu, zeroGrads(I, H, false));
    const gcache = createLstmGpuCache(gpu, { T, B, H });
    const buf = (a: Floats | Uint32Array) => createStorageBuffer(gpu, a);
    const zeros = (n: number) => createStorageBuffer(gpu, n * 4);
    const xb = buf(x);
    const sb = buf(starts);
    const out = {
      hs: zeros(T * B * H),
      hT: zeros(B * H),
      cT: zeros(B * H),
      dx: zeros(T * B * I),
      dh0: zeros(B * H),
      dc0: zeros(B * H),
    };
    const forward = await recordLstmSequenceForward(gpu, {
      params: gp,
      x: xb,
      starts: sb,
      h0: buf(h0),
      c0: buf(c0),
      T,
      B,
      I,
      H,
      cache: gcache,
      hs: out.hs,
      hT: out.hT,
      cT: out.cT,
    });
    assert.equal(forward.length, 2 * T + 2);
    const backward = await recordLstmSequenceBackward(gpu, {
      params: gp,
      x: xb,
      starts: sb,
      cache: gcache,
      dhs: buf(dhs),
      T,
      B,
      I,
      H,
      grads: gg,
      dx: out.dx,
      dhT: buf(dhT),
      dcT: buf(dcT),
      dh0: out.dh0,
      dc0: out.dc0,
    });
    await runPlan(gpu, [...forward, ...backward]);
    assertClose(await readFloats(gpu, out.hs), hs, { ...FWD_TOL, name: "hs" });
    assertClose(await readFloats(gpu, out.hT), hT, { ...FWD_TOL, name: "hT" });
    assertClose(await readFloats(gpu, out.cT), cT, { ...FWD_TOL, name: "cT" });
    assertClose(await readFloats(gpu, gcache.buffer), cache.data, { ...FWD_TOL, name: "cache" });
    assertClose(await readFloats(gpu, out.dx), dx, { ...BWD_TOL, name: "dx" });
    assertClose(await readFloats(gpu, out.dh0), dh0, { ...BWD_TOL, name: "dh0" });
    assertClose(await readFloats(gpu, out.dc0), dc0, { ...BWD_TOL, name: "dc0" });
    assertClose(await readFloats(gpu, gg.dwIh), grads.dwIh, { ...BWD_TOL, name: "dwIh" });
    assertClose(await readFloats(gpu, gg.dwHh), grads.dwHh, { ...BWD_TOL, name: "dwHh" });
    assertClose(await readFloats(gpu, gg.db), grads.db, { ...BWD_TOL, name: "db" });

    // Replaying the backward adds the weight gradients again and rewrites dx.
    await runPlan(gpu, backward);
    assertClose(await readFloats(gpu, gg.db), grads.db.map((v) => 2 * v), {
      ...BWD_TOL,
      name: "db after two backwards",
    });
    assertClose(await readFloats(gpu, out.dx), dx, { ...BWD_TOL, name: "dx after two backwards" });
  },
);

gpuTest(
  "lstm sequence: h0/hT in one buffer continues the rollout (two T=2 = one T=4)",
  async (gpu) => {
    const T = 4, B = 2, I = 3, H = 5;
    const p = makeParams(I, H, 100, false);
    const x = f32(randomArray(T * B * I, 101));
    const starts = new Uint32Array(T * B);
    starts[2 * B + 1] = 1; // sequence 1 resets at t = 2, the first step of the second half
    const cache = createLstmCache({ T, B, H });
    const hs = new Float32Array(T * B * H);
    lstmSequenceForward({
      params: p,
      x,
      starts,
      h0: new Float32Array(B * H),
      c0: new Float32Array(B * H),
      T,
      B,
      I,
      H,
      cache,
      hs,
    });

    const half = 2;
    const gp = upload(gpu, p);
    const xb = createStorageBuffer(gpu, x.subarray(0, half * B * I));
    const sb = createStorageBuffer(gpu, starts.subarray(0, half * B));
    const h = createStorageBuffer(gpu, B * H * 4);
    const c = createStorageBuffer(gpu, B * H * 4);
    const hsb = createStorageBuffer(gpu, half * B * H * 4);
    const plan = await recordLstmSequenceForward(gpu, {
      params: gp,
      x: xb,
      starts: sb,
      h0: h,
      c0: c,
      T: half,
      B,
      I,
      H,
      cache: createLstmGpuCache(gpu, { T: half, B, H }),
      hs: hsb,
      hT: h,
      cT: c,
    });
    await runPlan(gpu, plan);
    assertClose(await readFloats(gpu, hsb), hs.subarray(0, half * B * H), {
      ...FWD_TOL,
      name: "hs 1st",
    });
    gpu.device.queue.writeBuffer(xb, 0, x.subarray(half * B * I));
    gpu.device.queue.writeBuffer(sb, 0, starts.subarray(half * B));
    await runPlan(gpu, plan);
    assertClose(await readFloats(gpu, hsb), hs.subarray(half * B * H), {
      ...FWD_TOL,
      name: "hs 2nd",
    });
  },
);
