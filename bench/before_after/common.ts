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
