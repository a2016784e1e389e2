/**
 * What the before/after scripts share: their arguments, the process's CPU time and the median.
 *
 * @module
 */

import process from "node:process";

/** `<rounds> <cpuSeconds> <root>...`, checked: roots are absolute paths of checkouts. */
export function parseArgs(
  args: readonly string[],
): { rounds: number; secs: number; roots: string[] } {
  const [rounds, secs, roots] = [Number(args[0]), Number(args[1]), args.slice(2)];
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(
      `rounds = ${args[0]}: allowed an integer ≥ 1 (usage: <rounds> <cpuSeconds> <root>...)`,
    );
  }
  if (!(secs > 0)) throw new RangeError(`cpuSeconds = ${args[1]}: allowed a number > 0`);
  if (roots.length < 2 || roots.some((r) => !r.startsWith("/"))) {
    throw new RangeError(`roots = ${JSON.stringify(roots)}: allowed two or more absolute paths`);
  }
  return { rounds, secs, roots };
}

/** CPU seconds (user + system) this process has used. */
export function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The median of `xs`. */
export function med(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Prints each root's medians per CPU-second and per wall-second of `unit`, then the
 * round-by-round ratio of the second root to the first per CPU-second and its median.
 */
export function printReport(
  roots: readonly string[],
  got: readonly { cpu: number[]; wall: number[] }[],
  unit: string,
): void {
  for (const [i, root] of roots.entries()) {
    console.log(
      `${root}: ${med(got[i].cpu).toFixed(0)} ${unit}/CPU-s, ${
        med(got[i].wall).toFixed(0)
      } /wall-s`,
    );
  }
  const ratios = got[1].cpu.map((v, j) => v / got[0].cpu[j]);
  console.log(
    `after/before per CPU-s: median ${med(ratios).toFixed(2)} (rounds ${
      ratios.map((x) => x.toFixed(2)).join(", ")
    })`,
  );
}
