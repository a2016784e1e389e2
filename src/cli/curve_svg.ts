/**
 * The learning curve of a run (or of several, e.g. seeds) as a standalone SVG (no browser, no
 * dependencies): two panels, the mean return of the last 100 episodes against environment
 * steps and against wall time, each with ticked and labelled axes, under one title, with a
 * legend when there are several runs. Pure string building.
 *
 * @module
 */

/** One point of a learning curve (a metrics.jsonl record has these fields). */
export interface CurvePoint {
  /** Environment steps so far. */
  readonly steps: number;
  /** Seconds since the run started. */
  readonly wallSeconds: number;
  /** Mean return of the last 100 episodes; NaN/null points are skipped. */
  readonly returnMean100: number | null;
}

/** Settings of {@link curveSvg}. */
export interface CurveOptions {
  /** Title above both panels. */
  readonly title?: string;
  /** Whole picture width in pixels (default 960). */
  readonly width?: number;
  /** Whole picture height in pixels (default 400). */
  readonly height?: number;
}

/** Escapes `&`, `<`, `>`, `"` and `'` for SVG text and attributes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/**
 * About `count` round tick values (1, 2 or 5 × 10ᵏ apart) covering [lo, hi]; the first is ≤ lo
 * and the last ≥ hi. A degenerate range is widened by 1 on each side.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step - 1e-9 * step; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  if (ticks.length < 2) ticks.push(first + step);
  return ticks;
}

/** A tick label: 0, 2.5, 150, 20k, 1.5M, 2G; small numbers with up to 3 significant digits. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(Number(x.toPrecision(3)));
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

/** A panel's frame inside the picture, in pixels. */
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One run's curve: a label for the legend and its points. */
export interface CurveSeries {
  /** Legend text, e.g. "seed 1" (unused when there is one series). */
  readonly label: string;
  /** The run's points. */
  readonly points: readonly CurvePoint[];
}

/** Line colours of successive series (Tableau 10). */
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

/** One panel: frame, ticks, labels and one polyline of (x, y) points per series. */
function panel(box: Box, lines: { xs: number[]; ys: number[] }[], xLabel: string, yLabel: string) {
  const out: string[] = [];
  const xs = lines.flatMap((l) => l.xs);
  const ys = lines.flatMap((l) => l.ys);
  const xTicks = niceTicks(xs.length ? Math.min(0, ...xs) : 0, xs.length ? Math.max(...xs) : 1);
  const yTicks = niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 4);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const px = (v: number) => box.x + ((v - x0) / (x1 - x0)) * box.w;
  const py = (v: number) => box.y + box.h - ((v - y0) / (y1 - y0)) * box.h;
  const f = (v: number) => v.toFixed(1);
  out.push(
    `<rect x="${f(box.x)}" y="${f(box.y)}" width="${f(box.w)}" height="${f(box.h)}" ` +
      `fill="none" stroke="#444"/>`,
  );
  for (const t of xTicks) {
    const x = f(px(t));
    out.push(
      `<line class="grid" x1="${x}" y1="${f(box.y)}" x2="${x}" y2="${f(box.y + box.h)}"/>`,
      `<text class="tick" x="${x}" y="${f(box.y + box.h + 16)}" text-anchor="middle">` +
        `${escapeXml(tickLabel(t))}</text>`,
    );
  }
  for (const t of yTicks) {
    const y = f(py(t));
    out.push(
      `<line class="grid" x1="${f(box.x)}" y1="${y}" x2="${f(box.x + box.w)}" y2="${y}"/>`,
      `<text class="tick" x="${f(box.x - 6)}" y="${y}" text-anchor="end" ` +
        `dominant-baseline="middle">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  out.push(
    `<text class="label" x="${f(box.x + box.w / 2)}" y="${f(box.y + box.h + 36)}" ` +
      `text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text class="label" x="${f(box.x - 48)}" y="${f(box.y + box.h / 2)}" text-anchor="middle" ` +
      `transform="rotate(-90 ${f(box.x - 48)} ${f(box.y + box.h / 2)})">${
        escapeXml(yLabel)
      }</text>`,
  );
  if (xs.length === 0) {
    out.push(
      `<text class="label" x="${f(box.x + box.w / 2)}" y="${f(box.y + box.h / 2)}" ` +
        `text-anchor="middle">no finished episodes yet</text>`,
    );
  } else {
    lines.forEach((l, k) => {
      const points = l.xs.map((x, i) => `${f(px(x))},${f(py(l.ys[i]))}`).join(" ");
      const colour = COLOURS[k % COLOURS.length];
      out.push(`<polyline class="curve" points="${points}" stroke="${colour}"/>`);
    });
  }
  return out.join("\n");
}

/**
 * The SVG text of a learning curve: mean return (last 100) against env steps (left) and
 * against wall time in seconds (right). Points whose return is not finite are left out.
 */
export function curveSvg(points: readonly CurvePoint[], options: CurveOptions = {}): string {
  return curvesSvg([{ label: "", points }], options);
}

/**
 * The SVG text of several runs' learning curves in one picture (as {@link curveSvg}), one
 * colour a run, with a legend of their labels when there are two or more.
 */
export function curvesSvg(series: readonly CurveSeries[], options: CurveOptions = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 400;
  const title = options.title ?? "learning curve";
  const goods = series.map((s) =>
    s.points.filter((p) => typeof p.returnMean100 === "number" && Number.isFinite(p.returnMean100))
  );
  const lines = (x: (p: CurvePoint) => number) =>
    goods.map((g) => ({ xs: g.map(x), ys: g.map((p) => p.returnMean100 as number) }));
  const legend = series.length < 2
    ? []
    : series.map((s, k) =>
      `<text x="${width - 24}" y="${15 + 12 * k}" font-size="11" text-anchor="end" fill="${
        COLOURS[k % COLOURS.length]
      }">${escapeXml(s.label)}</text>`
    );
  const margin = { left: 80, right: 24, top: 48, bottom: 56, gap: 96 };
  const w = (width - margin.left - margin.right - margin.gap) / 2;
  const h = height - margin.top - margin.bottom;
  const left: Box = { x: margin.left, y: margin.top, w, h };
  const right: Box = { x: margin.left + w + margin.gap, y: margin.top, w, h };
  const yLabel = "mean return (last 100)";
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<style>.grid{stroke:#ddd;stroke-width:1}.curve{fill:none;stroke-width:2}` +
    `.title{font-size:16px;font-weight:bold}.label{font-size:13px}.tick{fill:#333}</style>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text class="title" x="${width / 2}" y="28" text-anchor="middle">${escapeXml(title)}</text>`,
    panel(left, lines((p) => p.steps), "environment steps", yLabel),
    panel(right, lines((p) => p.wallSeconds), "wall time (s)", yLabel),
    ...legend,
    `</svg>`,
    "",
  ].join("\n");
}
