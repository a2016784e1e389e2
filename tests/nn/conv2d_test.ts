import assert from "node:assert/strict";
import {
  checkConv2dShape,
  conv2dBackward,
  conv2dForward,
  conv2dOutputSize,
  type Conv2dShape,
} from "../../src/nn/conv2d.ts";
import { recordConv2dBackward, recordConv2dForward } from "../../src/nn/conv2d_gpu.ts";
import { createStorageBuffer, readFloats, writeBuffer } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import type { Gpu } from "../../src/gpu/device.ts";
import { assertClose, dot, gpuTest, numericGradient, randomArray } from "../util.ts";

function shape(
  batch: number,
  inChannels: number,
  inHeight: number,
  inWidth: number,
  outChannels: number,
  k: number,
  stride: number,
  padding: number,
): Conv2dShape {
  return {
    batch,
    inChannels,
    inHeight,
    inWidth,
    outChannels,
    kernelH: k,
    kernelW: k,
    stride,
    padding,
  };
}

/** Element counts of x, w, y of a shape. */
function sizes(s: Conv2dShape): { nx: number; nw: number; ny: number } {
  const { outHeight, outWidth } = conv2dOutputSize(s);
  return {
    nx: s.batch * s.inChannels * s.inHeight * s.inWidth,
    nw: s.outChannels * s.inChannels * s.kernelH * s.kernelW,
    ny: s.batch * s.outChannels * outHeight * outWidth,
  };
}

/**
 * The Atari shapes and others; none a multiple of the 16/32/64-row or 64/128/256-column
 * tiles. x sizes are multiples of 4 (the GPU reads u8 pixels packed 4 a u32). `chunk` sets the
 * weight-gradient reduction chunk on the GPU (several chunks, not dividing OH·OW); `fd` a
 * smaller shape for the finite differences when `s` is slow there.
 */
const CASES: { name: string; s: Conv2dShape; chunk?: number; fd?: Conv2dShape }[] = [
  { name: "8×8/4", s: shape(2, 4, 20, 20, 5, 8, 4, 0), chunk: 8 },
  { name: "4×4/2 non-square", s: shape(3, 5, 11, 8, 18, 4, 2, 0), chunk: 16 },
  { name: "3×3/2 pad 1", s: shape(2, 2, 9, 7, 7, 3, 2, 1) },
  {
    name: "3×3/1 pad 1",
    s: shape(2, 17, 6, 5, 33, 3, 1, 1),
    chunk: 24,
    fd: shape(2, 3, 6, 5, 4, 3, 1, 1),
  },
  { name: "5×3/3 pad 2 rectangular kernel", s: { ...shape(3, 3, 10, 12, 6, 5, 3, 2), kernelW: 3 } },
];

for (const { name, s: gpuShape, fd } of CASES) {
  const s = fd ?? gpuShape;
  Deno.test(`conv2d twin ${name}: dx, dw, db match finite differences (float64)`, () => {
    const { nx, nw, ny } = sizes(s);
    const x = randomArray(nx, 1);
    const w = randomArray(nw, 2);
    const b = randomArray(s.outChannels, 3);
    const probe = randomArray(ny, 4);
    const y = new Float64Array(ny);
    const loss = () => {
      conv2dForward(s, { x, w, b, y });
      return dot(probe, y);
    };
    const dx = new Float64Array(nx);
    const dw = new Float64Array(nw);
    const db = new Float64Array(s.outChannels);
    conv2dBackward(s, { x, w, dy: probe, dx, dw, db });
    assertClose(dx, numericGradient(loss, x), { atol: 1e-7, rtol: 1e-6, name: "dx" });
    assertClose(dw, numericGradient(loss, w), { atol: 1e-7, rtol: 1e-6, name: "dw" });
    assertClose(db, numericGradient(loss, b), { atol: 1e-7, rtol: 1e-6, name: "db" });
  });
}

Deno.test("conv2d twin: forward matches a direct evaluation of the formula at a few points", () => {
  const s = shape(2, 3, 9, 7, 4, 3, 2, 1);
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(s);
  assert.deepEqual([OH, OW], [5, 4]);
  const { nx, nw, ny } = sizes(s);
  const x = randomArray(nx, 7);
  const w = randomArray(nw, 8);
  const b = randomArray(4, 9);
  const y = new Float64Array(ny);
  conv2dForward(s, { x, w, b, y });
  for (const [bb, o, oh, ow] of [[0, 0, 0, 0], [1, 3, 4, 3], [1, 2, 2, 1], [0, 1, 4, 0]]) {
    let sum = b[o];
    for (let c = 0; c < 3; c++) {
      for (let kh = 0; kh < 3; kh++) {
        for (let kw = 0; kw < 3; kw++) {
          const ih = oh * 2 + kh - 1;
          const iw = ow * 2 + kw - 1;
          if (ih < 0 || ih >= 9 || iw < 0 || iw >= 7) continue;
          sum += w[((o * 3 + c) * 3 + kh) * 3 + kw] * x[((bb * 3 + c) * 9 + ih) * 7 + iw];
        }
      }
    }
    const got = y[((bb * 4 + o) * OH + oh) * OW + ow];
    assert.ok(Math.abs(got - sum) < 1e-12, `y[${bb},${o},${oh},${ow}] ${got} vs ${sum}`);
  }
});

Deno.test("conv2d twin: u8 pixels read as value/255 in forward and backward; accumulate adds", () => {
  for (const { s } of CASES.slice(0, 3)) {
    const { nx, nw, ny } = sizes(s);
    const pixels = new Uint8Array(nx).map((_, i) => (i * 37 + 11) % 256);
    const floats = new Float64Array(pixels).map((v) => v / 255);
    const w = randomArray(nw, 5);
    const b = randomArray(s.outChannels, 6);
    const yU8 = new Float64Array(ny);
    const yF = new Float64Array(ny);
    conv2dForward(s, { x: pixels, w, b, y: yU8 });
    conv2dForward(s, { x: floats, w, b, y: yF });
    assertClose(yU8, yF, { atol: 1e-12, name: "u8 forward" });
    const dy = randomArray(ny, 7);
    const dwU8 = new Float64Array(nw);
    const dbU8 = new Float64Array(s.outChannels);
    const dwF = new Float64Array(nw);
    const dbF = new Float64Array(s.outChannels);
    conv2dBackward(s, { x: pixels, w, dy, dw: dwU8, db: dbU8 });
    conv2dBackward(s, { x: floats, w, dy, dw: dwF, db: dbF });
    assertClose(dwU8, dwF, { atol: 1e-12, name: "u8 dw" });
    assertClose(dbU8, dbF, { atol: 1e-12, name: "u8 db" });
    conv2dBackward(s, { x: floats, w, dy, dw: dwF, db: dbF, accumulate: true });
    assertClose(dwF, dwU8.map((v) => 2 * v), { atol: 1e-12, name: "accumulated dw" });
    assertClose(dbF, dbU8.map((v) => 2 * v), { atol: 1e-12, name: "accumulated db" });
  }
});

Deno.test("conv2d twin: bad shapes name the field; wrong lengths name kernel, argument, shape", () => {
  const ok = shape(1, 1, 4, 4, 1, 3, 1, 0);
  checkConv2dShape(ok);
  assert.throws(() => conv2dOutputSize({ ...ok, stride: 0 }), /conv2d: stride/);
  assert.throws(() => conv2dOutputSize({ ...ok, stride: 1.5 }), /conv2d: stride/);
  assert.throws(() => conv2dOutputSize({ ...ok, padding: -1 }), /conv2d: padding/);
  assert.throws(() => conv2dOutputSize({ ...ok, padding: 0.5 }), /conv2d: padding/);
  assert.throws(() => conv2dOutputSize({ ...ok, batch: 0 }), /conv2d: batch/);
  assert.throws(() => conv2dOutputSize({ ...ok, kernelW: 2.5 }), /conv2d: kernelW/);
  assert.throws(
    () => conv2dOutputSize(shape(1, 1, 4, 4, 1, 8, 1, 1)),
    /kernel 8×8 is larger than the padded input 6×6/,
  );
  const f = (n: number) => new Float32Array(n);
  assert.throws(
    () => conv2dForward(ok, { x: f(15), w: f(9), y: f(4) }),
    /conv2d.forward: x has 15 elements, expected shape \[1, 1, 4, 4\]/,
  );
  assert.throws(
    () => conv2dForward(ok, { x: f(16), w: f(8), y: f(4) }),
    /conv2d.forward: w has 8 elements, expected shape \[1, 1, 3, 3\]/,
  );
  assert.throws(
    () => conv2dForward(ok, { x: f(16), w: f(9), y: f(5) }),
    /conv2d.forward: y has 5 elements, expected shape \[1, 1, 2, 2\]/,
  );
  assert.throws(
    () => conv2dBackward(ok, { x: f(16), w: f(9), dy: f(4), dw: f(10) }),
    /conv2d.backward: dw has 10 elements, expected shape \[1, 1, 3, 3\]/,
  );
  assert.throws(
    () => conv2dBackward(ok, { x: new Uint8Array(16), w: f(9), dy: f(4), dx: f(16) }),
    /conv2d.backward: dx needs a float input/,
  );
});

// ---- GPU vs twin ------------------------------------------------------------------------

/** Float32 copy of a float64 array (the GPU's input, and the twin's too for a fair compare). */
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

/** A buffer of `floats` floats holding `data` at float offset `at` (garbage elsewhere). */
function bufferAt(gpu: Gpu, floats: number, at: number, data: Float32Array): GPUBuffer {
  const buf = createStorageBuffer(gpu, f32(randomArray(floats, 99)));
  writeBuffer(gpu, buf, data, at * 4);
  return buf;
}

const up64 = (n: number) => Math.ceil(n / 64) * 64;

/** Float32 tolerance for sums of `k` products of values in [-1, 1]. */
const tol = (k: number) => ({ atol: 2e-6 * Math.sqrt(k) + 1e-6, rtol: 1e-4 });

for (const { name, s, chunk } of CASES) {
  gpuTest(
    `conv2d ${name}: forward, dx, dw, db (f32 input, overwrite and accumulate)`,
    async (gpu) => {
      const { nx, nw, ny } = sizes(s);
      const K = s.inChannels * s.kernelH * s.kernelW;
      const x = f32(randomArray(nx, 11));
      const w = f32(randomArray(nw, 12));
      const b = f32(randomArray(s.outChannels, 13));
      const dy = f32(randomArray(ny, 14));
      // Parameters and gradients as in the flat store: w at 64 floats, b after it at 64·k.
      const wAt = 64;
      const bAt = wAt + up64(nw);
      const total = bAt + up64(s.outChannels);
      const params = bufferAt(gpu, total, wAt, w);
      writeBuffer(gpu, params, b, bAt * 4);
      const wR = { buffer: params, offset: wAt * 4, size: nw * 4 };
      const bR = { buffer: params, offset: bAt * 4 };
      const X = createStorageBuffer(gpu, x);
      const Y = createStorageBuffer(gpu, f32(randomArray(ny, 15)));
      await runPlan(gpu, await recordConv2dForward(gpu, s, { x: X, w: wR, b: bR, y: Y }));
      const y = new Float32Array(ny);
      conv2dForward(s, { x, w, b, y });
      assertClose(await readFloats(gpu, Y), y, { ...tol(K), name: "y" });

      const dx = new Float32Array(nx);
      const dw = new Float32Array(nw);
      const db = new Float32Array(s.outChannels);
      conv2dBackward(s, { x, w, dy, dx, dw, db });
      const DY = createStorageBuffer(gpu, dy);
      const dx0 = f32(randomArray(nx, 16));
      const dw0 = f32(randomArray(nw, 17));
      const db0 = f32(randomArray(s.outChannels, 18));
      const DX = createStorageBuffer(gpu, dx0);
      const grads = bufferAt(gpu, total, wAt, dw0);
      writeBuffer(gpu, grads, db0, bAt * 4);
      const dwR = { buffer: grads, offset: wAt * 4, size: nw * 4 };
      const dbR = { buffer: grads, offset: bAt * 4, size: s.outChannels * 4 };
      const common = { x: X, w: wR, dy: DY, dx: DX, dw: dwR, db: dbR, reductionChunk: chunk };
      const taps = s.outChannels * Math.ceil(s.kernelH / s.stride) *
        Math.ceil(s.kernelW / s.stride);
      const rows = ny / s.outChannels;
      const check = async (
        name: string,
        base: Float32Array | null,
        want: Float32Array,
        k: number,
      ) => {
        const got = name === "dx"
          ? await readFloats(gpu, DX)
          : await readFloats(gpu, grads, name === "dw" ? wAt : bAt, want.length);
        const exp = base ? want.map((v, i) => v + base[i]) : want;
        assertClose(got, exp, { ...tol(k), name: `${name}${base ? " accumulated" : ""}` });
      };
      await runPlan(gpu, await recordConv2dBackward(gpu, s, { ...common, accumulate: true }));
      await check("dx", dx0, dx, taps);
      await check("dw", dw0, dw, rows);
      await check("db", db0, db, rows);
      await runPlan(gpu, await recordConv2dBackward(gpu, s, common));
      await check("dx", null, dx, taps);
      await check("dw", null, dw, rows);
      await check("db", null, db, rows);
      // The neighbours of dw and db in the flat buffer are untouched.
      const before = f32(randomArray(total, 99));
      const after = await readFloats(gpu, grads, 0, wAt);
      assertClose(after, before.subarray(0, wAt), { atol: 0, rtol: 0, name: "floats before dw" });
    },
  );

  gpuTest(`conv2d ${name}: u8 input forward and dw, db (overwrite and accumulate)`, async (gpu) => {
    const { nx, nw, ny } = sizes(s);
    const K = s.inChannels * s.kernelH * s.kernelW;
    const pixels = new Uint8Array(nx).map((_, i) => (i * 73 + 5) % 256);
    const w = f32(randomArray(nw, 21));
    const dy = f32(randomArray(ny, 22));
    const X = createStorageBuffer(gpu, pixels);
    const W = createStorageBuffer(gpu, w);
    const Y = createStorageBuffer(gpu, ny * 4);
    await runPlan(gpu, await recordConv2dForward(gpu, s, { x: X, w: W, y: Y, inputU8: true }));
    const y = new Float32Array(ny);
    conv2dForward(s, { x: pixels, w, y });
    assertClose(await readFloats(gpu, Y), y, { ...tol(K), name: "y (u8)" });

    const dw = new Float32Array(nw);
    const db = new Float32Array(s.outChannels);
    conv2dBackward(s, { x: pixels, w, dy, dw, db });
    const dw0 = f32(randomArray(nw, 23));
    const DY = createStorageBuffer(gpu, dy);
    const DW = createStorageBuffer(gpu, dw0);
    const DB = createStorageBuffer(gpu, s.outChannels * 4);
    const rows = ny / s.outChannels;
    const args = { x: X, w: W, dy: DY, dw: DW, inputU8: true, reductionChunk: chunk };
    await runPlan(gpu, await recordConv2dBackward(gpu, s, { ...args, accumulate: true }));
    const accumulated = dw.map((v, i) => v + dw0[i]);
    assertClose(await readFloats(gpu, DW), accumulated, { ...tol(rows), name: "dw (u8, acc)" });
    await runPlan(gpu, await recordConv2dBackward(gpu, s, { ...args, db: DB }));
    assertClose(await readFloats(gpu, DW), dw, { ...tol(rows), name: "dw (u8)" });
    assertClose(await readFloats(gpu, DB), db, { ...tol(rows), name: "db (u8)" });
  });
}

gpuTest("conv2d: forward without bias, and db alone", async (gpu) => {
  const s = CASES[2].s;
  const { nx, nw, ny } = sizes(s);
  const x = f32(randomArray(nx, 31));
  const w = f32(randomArray(nw, 32));
  const dy = f32(randomArray(ny, 33));
  const X = createStorageBuffer(gpu, x);
  const W = createStorageBuffer(gpu, w);
  const Y = createStorageBuffer(gpu, ny * 4);
  await runPlan(gpu, await recordConv2dForward(gpu, s, { x: X, w: W, y: Y }));
  const y = new Float32Array(ny);
  conv2dForward(s, { x, w, y });
  assertClose(await readFloats(gpu, Y), y, { ...tol(18), name: "y (no bias)" });
  const DB = createStorageBuffer(gpu, s.outChannels * 4);
  const db = new Float32Array(s.outChannels);
  conv2dBackward(s, { x, w, dy, db });
  const plan = await recordConv2dBackward(gpu, s, {
    x: X,
    w: W,
    dy: createStorageBuffer(gpu, dy),
    db: DB,
  });
  await runPlan(gpu, plan);
  assertClose(await readFloats(gpu, DB), db, { ...tol(20), name: "db alone" });
});

gpuTest("conv2d recorders: wrong sizes name kernel, argument and shape", async (gpu) => {
  const s = shape(1, 2, 6, 6, 3, 3, 1, 0); // x [1,2,6,6] = 72, w [3,2,3,3] = 54, y [1,3,4,4] = 48
  const buf = (floats: number) => createStorageBuffer(gpu, floats * 4);
  await assert.rejects(
    () => recordConv2dForward(gpu, s, { x: buf(71), w: buf(54), y: buf(48) }),
    /conv2d.forward: x holds 71 floats, expected shape \[1, 2, 6, 6\] \(72 floats\)/,
  );
  await assert.rejects(
    () => recordConv2dForward(gpu, s, { x: buf(72), w: buf(54), y: buf(47) }),
    /conv2d.forward: y holds 47 floats, expected shape \[1, 3, 4, 4\]/,
  );
  await assert.rejects(
    () =>
      recordConv2dForward(gpu, s, { x: buf(72), w: { buffer: buf(100), offset: 256 }, y: buf(48) }),
    /conv2d.forward: w holds 36 floats \(from byte offset 256 of a 400-byte buffer\), expected shape \[3, 2, 3, 3\]/,
  );
  await assert.rejects(
    () =>
      recordConv2dForward(gpu, s, { x: buf(72), w: { buffer: buf(100), offset: 4 }, y: buf(48) }),
    /conv2d.forward: w starts at byte offset 4/,
  );
  await assert.rejects(
    () => recordConv2dForward(gpu, s, { x: buf(17), w: buf(54), y: buf(48), inputU8: true }),
    /conv2d.forward: x holds 68 bytes \(u8\), expected shape \[1, 2, 6, 6\] \(72 bytes \(u8\)\)/,
  );
  await assert.rejects(
    () =>
      recordConv2dForward(gpu, { ...s, inChannels: 1, inWidth: 5 }, {
        x: buf(60),
        w: buf(54),
        y: buf(48),
        inputU8: true,
      }),
    /conv2d.forward: x of shape \[1, 1, 6, 5\] .* multiple of 4/,
  );
  await assert.rejects(
    () => recordConv2dBackward(gpu, s, { x: buf(72), w: buf(54), dy: buf(48), dw: buf(53) }),
    /conv2d.backward: dw holds 53 floats, expected shape \[3, 2, 3, 3\]/,
  );
  await assert.rejects(
    () => recordConv2dBackward(gpu, s, { x: buf(72), w: buf(54), dy: buf(48), db: buf(2) }),
    /conv2d.backward: db holds 2 floats, expected shape \[3\]/,
  );
  await assert.rejects(
    () =>
      recordConv2dBackward(gpu, s, {
        x: buf(18),
        w: buf(54),
        dy: buf(48),
        dx: buf(72),
        inputU8: true,
      }),
    /conv2d.backward: dx needs a float input/,
  );
  await assert.rejects(
    () => recordConv2dForward(gpu, { ...s, padding: -1 }, { x: buf(72), w: buf(54), y: buf(48) }),
    /conv2d: padding/,
  );
  await assert.rejects(
    () => recordConv2dBackward(gpu, { ...s, kernelH: 9 }, { x: buf(72), w: buf(54), dy: buf(48) }),
    /conv2d: kernel 9×3 is larger than the padded input 6×6/,
  );
});
