/**
 * Tiny raster drawing on RGB {@link Frame}s for env renderers: filled rectangles, discs and
 * thick lines. Pictures for people only (not bit-exact across anything).
 *
 * @module
 */

import type { Frame } from "./types.ts";

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

/** A new `width` × `height` frame filled with `background`. */
export function blankFrame(width: number, height: number, background: Rgb): Frame {
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) rgb.set(background, p * 3);
  return { width, height, rgb };
}

function put(frame: Frame, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= frame.width || y >= frame.height) return;
  frame.rgb.set(c, (y * frame.width + x) * 3);
}

/** Fills the rectangle [x0, x1) × [y0, y1) (pixels, clipped to the frame). */
export function fillRect(
  frame: Frame,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  c: Rgb,
): void {
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(frame.height, Math.ceil(y1)); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(frame.width, Math.ceil(x1)); x++) {
      put(frame, x, y, c);
    }
  }
}

/** Fills the disc of radius `r` centred at (cx, cy). */
export function fillDisc(frame: Frame, cx: number, cy: number, r: number, c: Rgb): void {
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) put(frame, x, y, c);
    }
  }
}

/** Draws the segment (x0, y0)–(x1, y1) with thickness `width` (pixels centred on it). */
export function thickLine(
  frame: Frame,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  width: number,
  c: Rgb,
): void {
  const h = width / 2;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy || 1;
  for (let y = Math.floor(Math.min(y0, y1) - h); y <= Math.ceil(Math.max(y0, y1) + h); y++) {
    for (let x = Math.floor(Math.min(x0, x1) - h); x <= Math.ceil(Math.max(x0, x1) + h); x++) {
      const px = x + 0.5 - x0;
      const py = y + 0.5 - y0;
      const t = Math.max(0, Math.min(1, (px * dx + py * dy) / len2));
      if ((px - t * dx) ** 2 + (py - t * dy) ** 2 <= h * h) put(frame, x, y, c);
    }
  }
}

/** Throws unless `index` is a copy index in [0, numEnvs). */
export function checkRenderIndex(env: string, index: number, numEnvs: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= numEnvs) {
    throw new RangeError(
      `env ${env}: render index ${index} outside [0, ${numEnvs - 1}] (numEnvs ${numEnvs})`,
    );
  }
}

// 3 × 5 digits, rows top to bottom, 3 bits a row (bit 2 = left column).
const DIGITS = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

/** Draws the non-negative integer `value` at (x, y) in 3 × 5 digits of 2 × 2 pixels, 8 apart. */
export function drawNumber(frame: Frame, value: number, x: number, y: number, c: Rgb): void {
  const text = String(value);
  for (let d = 0; d < text.length; d++) {
    const rows = DIGITS[Number(text[d])];
    for (let r = 0; r < 5; r++) {
      for (let k = 0; k < 3; k++) {
        if ((rows[r] >> (2 - k)) & 1) {
          const px = x + d * 8 + k * 2;
          fillRect(frame, px, y + r * 2, px + 2, y + r * 2 + 2, c);
        }
      }
    }
  }
}
