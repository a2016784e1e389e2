/**
 * A horizontal bar chart of GPU/CPU speed ratios for the benchmark, as a standalone SVG.
 * Ratios span orders of magnitude, so the axis is logarithmic and bars grow from the 1×
 * line: right when the GPU is faster, left when it is slower. Pure string building.
 *
 * @module
 */

import { escapeXml } from "./curve_svg.ts";

/** One bar: a label and a ratio (> 0; GPU value / CPU value). */
export interface RatioBar {
  /** Row label, e.g. "matmul 512x512x512". */
  readonly label: string;
  /** GPU/CPU ratio, a positive finite number. */
  readonly ratio: number;
}

/** Settings of {@link barChartSvg}. */
export interface BarChartOptions {
  /** Title above the chart. */
  readonly title?: string;
  /** Picture width in pixels (default 900). */
  readonly width?: number;
  /** Height of one bar row in pixels (default 22). */
  readonly rowHeight?: number;
}

/** A benchmark row as bench/ writes it (only the fields the pairing needs). */
export interface BenchRowLike {
  /** Benchmark family. */
  readonly group: string;
  /** What was measured. */
  readonly name: string;
  /** Problem shape. */
  readonly shape: string;
  /** Where it ran. */
  readonly backend: string;
  /** The figure (higher is better). */
  readonly value: number;
}

/**
 * Pairs each `webgpu` row with the `cpu` row of the same group, name and shape and returns
 * one bar per pair, labelled "group name shape", ratio = GPU value / CPU value. Rows
 * without a partner, or with a non-positive value, are skipped.
 */
export function gpuCpuRatios(rows: readonly BenchRowLike[]): RatioBar[] {
  const bars: RatioBar[] = [];
  for (const r of rows) {
    if (r.backend !== "webgpu") continue;
    const cpu = rows.find((o) =>
      o.backend === "cpu" && o.group === r.group && o.name === r.name && o.shape === r.shape
    );
    if (!cpu || !(cpu.value > 0) || !(r.value > 0)) continue;
    bars.push({ label: `${r.group} ${r.name} ${r.shape}`, ratio: r.value / cpu.value });
  }
  return bars;
}

/** A ratio for people: "0.031×", "0.52×", "3.4×", "120×". */
export function formatRatio(ratio: number): string {
  if (ratio >= 100) return `${Math.round(ratio)}×`;
  return `${Number(ratio.toPrecision(2))}×`;
}

/**
 * The SVG text of a horizontal bar chart of `bars` on a log₁₀ axis centred on 1×, with
 * decade ticks (0.1×, 1×, 10×, ...), the ratio written at each bar's end and a title.
 * Throws a RangeError naming the bar when a ratio is not a positive finite number.
 */
export function barChartSvg(bars: readonly RatioBar[], options: BarChartOptions = {}): string {
  for (const b of bars) {
    if (!(Number.isFinite(b.ratio) && b.ratio > 0)) {
      throw new RangeError(
        `barChartSvg: bar "${b.label}" has ratio ${b.ratio}; allowed: a positive finite number`,
      );
    }
  }
  const width = options.width ?? 900;
  const rowH = options.rowHeight ?? 22;
  const title = options.title ?? "GPU / CPU speed ratio";
  const labelW = 280;
  const margin = { left: labelW + 16, right: 64, top: 48, bottom: 40 };
  const height = margin.top + margin.bottom + Math.max(1, bars.length) * rowH;
  const logs = bars.map((b) => Math.log10(b.ratio));
  const lo = Math.min(-1, Math.floor(Math.min(0, ...logs)));
  const hi = Math.max(1, Math.ceil(Math.max(0, ...logs)));
  const plotW = width - margin.left - margin.right;
  const px = (l: number) => margin.left + ((l - lo) / (hi - lo)) * plotW;
  const f = (v: number) => v.toFixed(1);
  const bottom = margin.top + Math.max(1, bars.length) * rowH;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<style>.grid{stroke:#ddd}.one{stroke:#333;stroke-width:1.5}.faster{fill:#2ca02c}` +
    `.slower{fill:#d62728}.title{font-size:16px;font-weight:bold}</style>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text class="title" x="${width / 2}" y="28" text-anchor="middle">${escapeXml(title)}</text>`,
  ];
  for (let d = lo; d <= hi; d++) {
    const x = f(px(d));
    out.push(
      `<line class="grid" x1="${x}" y1="${margin.top}" x2="${x}" y2="${bottom}"/>`,
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle">${formatRatio(10 ** d)}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = margin.top + i * rowH;
    const a = px(0);
    const e = px(logs[i]);
    const cls = b.ratio >= 1 ? "faster" : "slower";
    out.push(
      `<text x="${labelW}" y="${f(y + rowH / 2)}" text-anchor="end" dominant-baseline="middle">` +
        `${escapeXml(b.label)}</text>`,
      `<rect class="${cls}" x="${f(Math.min(a, e))}" y="${f(y + 3)}" ` +
        `width="${f(Math.max(1, Math.abs(e - a)))}" height="${f(rowH - 6)}"/>`,
      `<text x="${f(b.ratio >= 1 ? e + 4 : e - 4)}" y="${f(y + rowH / 2)}" ` +
        `text-anchor="${b.ratio >= 1 ? "start" : "end"}" dominant-baseline="middle">` +
        `${formatRatio(b.ratio)}</text>`,
    );
  });
  const one = f(px(0));
  out.push(
    `<line class="one" x1="${one}" y1="${margin.top}" x2="${one}" y2="${bottom}"/>`,
    `<text x="${f(margin.left + plotW / 2)}" y="${bottom + 34}" text-anchor="middle">` +
      `GPU / CPU (log scale; right of 1× the GPU is faster)</text>`,
    `</svg>`,
    "",
  );
  return out.join("\n");
}
