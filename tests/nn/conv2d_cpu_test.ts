import assert from "node:assert/strict";
import { conv2dBackward, conv2dForward, type Conv2dShape } from "../../src/nn/conv2d.ts";
import { conv2dOutputSize } from "../../src/nn/conv2d.ts";
import { assertClose, dot, numericGradient, randomArray } from "../util.ts";

const CASES: [string, Conv2dShape][] = [
  ["8×8/4", shape(2, 2, 13, 12, 3, 8, 4, 0)],
  ["4×4/2", shape(2, 3, 9, 9, 2, 4, 2, 0)],
  ["3×3/2 pad 1", shape(3, 2, 7, 6, 4, 3, 2, 1)],
  ["3×3/1 pad 1", shape(1, 2, 5, 7, 3, 3, 1, 1)],
];

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

for (const [name, s] of CASES) {
  Deno.test(`conv2d twin ${name}: dx, dw, db match finite differences (float64)`, () => {
    const { outHeight, outWidth } = conv2dOutputSize(s);
    const nx = s.batch * s.inChannels * s.inHeight * s.inWidth;
    const nw = s.outChannels * s.inChannels * s.kernelH * s.kernelW;
    const ny = s.batch * s.outChannels * outHeight * outWidth;
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

Deno.test("conv2d twin: u8 pixels read as value/255; accumulate adds", () => {
  const s = shape(1, 2, 6, 6, 2, 3, 2, 1);
  const pixels = new Uint8Array(72).map((_, i) => (i * 37) % 256);
  const floats = new Float64Array(pixels).map((v) => v / 255);
  const w = randomArray(36, 5);
  const yU8 = new Float64Array(18);
  const yF = new Float64Array(18);
  conv2dForward(s, { x: pixels, w, y: yU8 });
  conv2dForward(s, { x: floats, w, y: yF });
  assertClose(yU8, yF, { atol: 1e-12, name: "u8 forward" });
  const dy = randomArray(18, 6);
  const dwU8 = new Float64Array(36);
  const dwF = new Float64Array(36);
  conv2dBackward(s, { x: pixels, w, dy, dw: dwU8 });
  conv2dBackward(s, { x: floats, w, dy, dw: dwF });
  assertClose(dwU8, dwF, { atol: 1e-12, name: "u8 dw" });
  conv2dBackward(s, { x: floats, w, dy, dw: dwF, accumulate: true });
  assertClose(dwF, dwU8.map((v) => 2 * v), { atol: 1e-12, name: "accumulated dw" });
});

Deno.test("conv2d twin: bad shapes name the field or the argument and shapes", () => {
  assert.throws(() => conv2dOutputSize(shape(1, 1, 4, 4, 1, 3, 0, 0)), /conv2d: stride/);
  assert.throws(
    () => conv2dOutputSize(shape(1, 1, 4, 4, 1, 8, 1, 1)),
    /kernel 8×8 is larger than the padded input 6×6/,
  );
  assert.throws(
    () =>
      conv2dForward(shape(1, 1, 4, 4, 1, 3, 1, 0), {
        x: new Float32Array(15),
        w: new Float32Array(9),
        y: new Float32Array(4),
      }),
    /conv2d.forward: x has 15 elements, expected shape \[1, 1, 4, 4\]/,
  );
});
