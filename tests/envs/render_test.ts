import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import { makeCpuEnv } from "../../src/envs/registry.ts";
import { encodeGif, encodePng, scaleFrame } from "../../src/envs/render.ts";
import type { Frame } from "../../src/envs/types.ts";

const SIZES: Record<string, [number, number]> = {
  catch: [5 * 16, 10 * 16],
  cartpole: [300, 200],
  pendulum: [200, 200],
};

Deno.test("render: frame sizes per env, RGB bytes, several colours, index checked", () => {
  for (const [name, [w, h]] of Object.entries(SIZES)) {
    const env = makeCpuEnv(name, 3);
    env.reset(1);
    const f = env.render(2);
    assert.equal(f.width, w, name);
    assert.equal(f.height, h, name);
    assert.equal(f.rgb.length, w * h * 3);
    const colours = new Set<number>();
    for (let p = 0; p < w * h; p++) {
      colours.add((f.rgb[3 * p] << 16) | (f.rgb[3 * p + 1] << 8) | f.rgb[3 * p + 2]);
    }
    assert.ok(colours.size >= 3, `${name}: ${colours.size} colours`);
    assert.throws(() => env.render(3), /render index 3 outside \[0, 2\]/);
  }
});

Deno.test("render: the picture follows the state (catch ball moves down)", () => {
  const env = makeCpuEnv("catch", 1);
  env.reset(5);
  const before = env.render(0);
  env.step(new Int32Array([1]));
  const after = env.render(0);
  assert.notDeepEqual(before.rgb, after.rgb);
});

Deno.test("render: PNG has the signature and decodes to the same pixels", () => {
  const env = makeCpuEnv("cartpole", 1);
  env.reset(2);
  const frame = env.render(0);
  const png = encodePng(frame);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset);
  assert.equal(view.getUint32(16), 300); // IHDR width
  assert.equal(view.getUint32(20), 200); // IHDR height
  const decoded = decodePng(png);
  assert.equal(decoded.width, 300);
  assert.equal(decoded.channels, 3);
  assert.deepEqual(new Uint8Array(decoded.data as Uint8Array), frame.rgb);
});

Deno.test("render: animated GIF has the header, size, loop and one image per frame", () => {
  const env = makeCpuEnv("pendulum", 1);
  env.reset(3);
  const frames: Frame[] = [];
  for (let t = 0; t < 6; t++) {
    env.step(new Float32Array([1]));
    frames.push(env.render(0));
  }
  const gif = encodeGif(frames, { fps: 20 });
  assert.equal(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
  const view = new DataView(gif.buffer, gif.byteOffset);
  assert.equal(view.getUint16(6, true), 200);
  assert.equal(view.getUint16(8, true), 200);
  assert.equal(gif[gif.length - 1], 0x3b); // trailer
  const text = new TextDecoder("latin1").decode(gif);
  assert.ok(text.includes("NETSCAPE2.0"), "loop extension");
  // Graphic control extensions (0x21 0xF9 0x04) with delay 5/100 s, one per frame.
  let gce = 0;
  for (let k = 0; k + 5 < gif.length; k++) {
    if (gif[k] === 0x21 && gif[k + 1] === 0xf9 && gif[k + 2] === 4) {
      assert.equal(view.getUint16(k + 4, true), 5);
      gce++;
    }
  }
  assert.equal(gce, 6);
  assert.throws(() => encodeGif([]), /frames is empty/);
  assert.throws(() => encodeGif(frames, { fps: 0 }), /fps = 0/);
  assert.throws(
    () => encodeGif([frames[0], scaleFrame(frames[0], 2)]),
    /frame 1 is 400×400, frame 0 is 200×200/,
  );
});

Deno.test("render: scaleFrame repeats pixels in blocks", () => {
  const f: Frame = { width: 2, height: 1, rgb: new Uint8Array([1, 2, 3, 4, 5, 6]) };
  const s = scaleFrame(f, 2);
  assert.equal(s.width, 4);
  assert.equal(s.height, 2);
  assert.deepEqual([...s.rgb.subarray(0, 12)], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
  assert.deepEqual(s.rgb.subarray(12), s.rgb.subarray(0, 12));
  assert.throws(() => scaleFrame(f, 0), /factor = 0/);
});
