/**
 * A progress reporter for long training runs. On a terminal it keeps one live line,
 * rewritten in place (`\r` + clear line), with steps/budget, a bar, steps/s, episodes, the
 * mean return of the last 100 episodes and the ETA; elsewhere (CI, pipes, files) it writes
 * one plain line per update. The clock and the output are injectable, so tests see exactly
 * what a person would.
 *
 * @example
 * ```ts
 * import { makeProgress } from "./progress.ts";
 * const progress = makeProgress({ budget: 60_000, label: "a2c catch" });
 * progress.update({ steps: 3_000, episodes: 300, returnMean100: -0.4 });
 * progress.finish("done");
 * ```
 *
 * @module
 */

/** What the reporter shows at one moment of a run. */
export interface ProgressSnapshot {
  /** Environment steps so far (all envs together). */
  readonly steps: number;
  /** Episodes finished so far. */
  readonly episodes: number;
  /** Mean return of the last 100 finished episodes (NaN before the first). */
  readonly returnMean100: number;
  /** Steps per second; when absent, measured by the reporter's clock since its first update. */
  readonly stepsPerSecond?: number;
}

/** Settings of {@link makeProgress}. */
export interface ProgressOptions {
  /** Step budget: enables the bar, the percentage and the ETA. */
  readonly budget?: number;
  /** Text in front of every line, e.g. "a2c catch". */
  readonly label?: string;
  /** Rewrite one live line (a terminal) or print plain lines. Default: `Deno.stdout.isTerminal()`. */
  readonly live?: boolean;
  /** Where the text goes. Default: Deno.stdout, synchronously. */
  readonly write?: (text: string) => void;
  /** Clock in milliseconds. Default `performance.now`. */
  readonly now?: () => number;
  /** Live mode: least milliseconds between two redraws (default 100; `finish` always draws). */
  readonly redrawMs?: number;
  /** Plain mode: least milliseconds between two printed lines (default 0: every update). */
  readonly plainEveryMs?: number;
  /** Width of the bar in characters (default 24). */
  readonly barWidth?: number;
}

/** A progress reporter made by {@link makeProgress}. */
export interface ProgressReporter {
  /** Shows the run's state (rate-limited as the options say). */
  update(snapshot: ProgressSnapshot): void;
  /** Draws the last state, ends the live line, and prints `message` on its own line if given. */
  finish(message?: string): void;
  /** The text of the last line shown (without control characters), for tests and logs. */
  readonly lastLine: string;
}

/** ANSI: carriage return, then erase the whole line. */
export const CLEAR_LINE = "\r\x1b[2K";

/** A duration for people: "45s", "3m05s", "2h07m", "3d04h"; "?" when not finite or < 0. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h`;
}

/** A count for people: 950, 12.3k, 4.50M, 1.20G. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a < 1e3) return Number.isInteger(n) ? String(n) : n.toFixed(1);
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 2 : 1)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : 1)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

/** A bar of `width` characters filled to `fraction` (clamped to [0, 1]): "[######------]". */
export function formatBar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

/** Everything one progress line says. */
export interface ProgressLine {
  /** The snapshot shown. */
  readonly snapshot: ProgressSnapshot;
  /** Steps per second shown. */
  readonly stepsPerSecond: number;
  /** Seconds since the first update. */
  readonly elapsedSeconds: number;
  /** The step budget, if any. */
  readonly budget?: number;
  /** Label in front. */
  readonly label?: string;
  /** Bar width in characters. */
  readonly barWidth?: number;
}

/**
 * One progress line (no control characters), e.g.
 * `a2c catch  12.0k/60.0k [#####---] 20%  3.41k steps/s  ep 1200  ret100 0.52  2m05s ETA 14s`.
 */
export function formatProgressLine(line: ProgressLine): string {
  const { snapshot, stepsPerSecond, elapsedSeconds, budget, label, barWidth = 24 } = line;
  const parts: string[] = [];
  if (label) parts.push(label);
  if (budget !== undefined && budget > 0) {
    const fraction = snapshot.steps / budget;
    parts.push(
      `${formatCount(snapshot.steps)}/${formatCount(budget)} ${formatBar(fraction, barWidth)} ` +
        `${Math.floor(Math.min(1, fraction) * 100)}%`,
    );
  } else {
    parts.push(`${formatCount(snapshot.steps)} steps`);
  }
  parts.push(`${formatCount(Math.round(stepsPerSecond))} steps/s`);
  parts.push(`ep ${snapshot.episodes}`);
  const ret = snapshot.returnMean100;
  parts.push(`ret100 ${Number.isFinite(ret) ? ret.toFixed(2) : "n/a"}`);
  parts.push(formatDuration(elapsedSeconds));
  if (budget !== undefined && budget > 0) {
    const left = Math.max(0, budget - snapshot.steps);
    parts.push(`ETA ${stepsPerSecond > 0 ? formatDuration(left / stepsPerSecond) : "?"}`);
  }
  return parts.join("  ");
}

function stdoutWriter(): (text: string) => void {
  const encoder = new TextEncoder();
  return (text) => {
    const bytes = encoder.encode(text);
    let done = 0;
    while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
  };
}

/**
 * Makes a progress reporter. Steps per second come from the snapshot when it has them,
 * otherwise from the reporter's clock over the steps since its first update (so a resumed
 * run does not count the steps it started with).
 */
export function makeProgress(options: ProgressOptions = {}): ProgressReporter {
  const write = options.write ?? stdoutWriter();
  const now = options.now ?? (() => performance.now());
  const live = options.live ?? Deno.stdout.isTerminal();
  const redrawMs = options.redrawMs ?? 100;
  const plainEveryMs = options.plainEveryMs ?? 0;
  let start: number | undefined;
  let startSteps = 0;
  let lastShown = -Infinity;
  let pending: ProgressSnapshot | undefined;
  let lastLine = "";
  let drewLive = false;

  const render = (snapshot: ProgressSnapshot, t: number) => {
    const elapsed = (t - (start ?? t)) / 1000;
    const measured = elapsed > 0 ? (snapshot.steps - startSteps) / elapsed : 0;
    lastLine = formatProgressLine({
      snapshot,
      stepsPerSecond: snapshot.stepsPerSecond ?? measured,
      elapsedSeconds: elapsed,
      budget: options.budget,
      label: options.label,
      barWidth: options.barWidth,
    });
    if (live) {
      write(CLEAR_LINE + lastLine);
      drewLive = true;
    } else {
      write(lastLine + "\n");
    }
    lastShown = t;
    pending = undefined;
  };

  return {
    update(snapshot) {
      const t = now();
      if (start === undefined) {
        start = t;
        startSteps = snapshot.steps;
      }
      const gap = live ? redrawMs : plainEveryMs;
      if (t - lastShown >= gap) render(snapshot, t);
      else pending = snapshot;
    },
    finish(message) {
      if (pending) render(pending, now());
      if (live && drewLive) write("\n");
      drewLive = false;
      if (message !== undefined) write(message + "\n");
    },
    get lastLine() {
      return lastLine;
    },
  };
}
