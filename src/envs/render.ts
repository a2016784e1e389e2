/**
 * Pictures of envs for people: PNG stills, animated GIFs and integer upscaling of
 * {@link Frame}s (RGB, 3 bytes a pixel). Uses the npm encoders `fast-png` (PNG) and `gifenc`
 * (GIF, 256-colour palette quantised from all frames together).
 *
 * @module
 */

import { encode as pngEncode } from "fast-png";
import gifenc from "gifenc";
import type { Frame } from "./types.ts";

// gifenc is CommonJS (esbuild output): its functions are properties of the default export.
const { applyPalette, GIFEncoder, quantize } = gifenc;

function checkFrame(what: string, frame: Frame): void {
  const { width, height, rgb } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what}: frame size ${width}×${height} must be positive integers`);
  }
  if (rgb.length !== width * height * 3) {
    throw new RangeError(
      `${what}: frame rgb has ${rgb.length} bytes, expected ${width}×${height}×3 = ${
        width * height * 3
      }`,
    );
  }
}

/** Encodes a frame as an 8-bit RGB PNG file. */
export function encodePng(frame: Frame): Uint8Array {
  checkFrame("encodePng", frame);
  return pngEncode({
    width: frame.width,
    height: frame.height,
    data: frame.rgb,
    channels: 3,
    depth: 8,
  });
}

/** Options of {@link encodeGif}. */
export interface GifOptions {
  /** Frames per second (default 30, allowed (0, 100]); GIF delays are in 1/100 s. */
  readonly fps?: number;
}

/**
 * Encodes frames (all the same size) as an animated GIF that loops forever. The palette (256
 * colours) is quantised once from all frames, so colours are stable across the animation.
 */
export function encodeGif(frames: Frame[], options: GifOptions = {}): Uint8Array {
  const fps = options.fps ?? 30;
  if (typeof fps !== "number" || !(fps > 0 && fps <= 100)) {
    throw new RangeError(`encodeGif: fps = ${fps}; allowed: a number in (0, 100]`);
  }
  if (frames.length === 0) throw new RangeError("encodeGif: frames is empty; need at least 1");
  const { width, height } = frames[0];
  frames.forEach((f, k) => {
    checkFrame(`encodeGif frame ${k}`, f);
    if (f.width !== width || f.height !== height) {
      throw new RangeError(
        `encodeGif: frame ${k} is ${f.width}×${f.height}, frame 0 is ${width}×${height}`,
      );
    }
  });
  const rgba = (f: Frame) => {
    const out = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      out[4 * p] = f.rgb[3 * p];
      out[4 * p + 1] = f.rgb[3 * p + 1];
      out[4 * p + 2] = f.rgb[3 * p + 2];
      out[4 * p + 3] = 255;
    }
    return out;
  };
  // One palette for the whole animation: quantise a strip of (a sample of) all frames.
  const step = Math.max(1, Math.floor(frames.length / 16));
  const sample: Uint8Array[] = [];
  for (let k = 0; k < frames.length; k += step) sample.push(rgba(frames[k]));
  const all = new Uint8Array(sample.length * width * height * 4);
  sample.forEach((s, k) => all.set(s, k * width * height * 4));
  const palette = quantize(all, 256, { format: "rgb565" });
  const gif = GIFEncoder();
  const delay = 1000 / fps;
  for (const f of frames) {
    const index = applyPalette(rgba(f), palette, "rgb565");
    gif.writeFrame(index, width, height, { palette, delay, repeat: 0 });
  }
  gif.finish();
  return gif.bytes();
}

/** Scales a frame up by an integer `factor` (nearest neighbour: each pixel a factor² block). */
export function scaleFrame(frame: Frame, factor: number): Frame {
  checkFrame("scaleFrame", frame);
  if (!Number.isInteger(factor) || factor < 1 || factor > 64) {
    throw new RangeError(`scaleFrame: factor = ${factor}; allowed: an integer in [1, 64]`);
  }
  const width = frame.width * factor;
  const height = frame.height * factor;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < width; x++) {
      const s = (sy * frame.width + Math.floor(x / factor)) * 3;
      const d = (y * width + x) * 3;
      rgb[d] = frame.rgb[s];
      rgb[d + 1] = frame.rgb[s + 1];
      rgb[d + 2] = frame.rgb[s + 2];
    }
  }
  return { width, height, rgb };
}
