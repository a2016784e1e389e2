import { main } from "../../src/cli/main.ts";

/** A tiny Catch run on the CPU, for CLI tests. */
export const TINY = ["--env", "catch", "--backend", "cpu", "--seed", "3", "--log-every", "5"];

/**
 * Runs the program in-process, capturing its output. With `interrupt`, aborts it (like
 * Ctrl-C) as soon as the first progress line shows.
 */
export async function run(args: string[], interrupt?: AbortController) {
  let out = "";
  let err = "";
  const code = await main(args, {
    out: (s) => {
      out += s;
      if (interrupt && s.includes("steps/s")) interrupt.abort();
    },
    err: (s) => (err += s),
    isTerminal: false,
    interrupt: interrupt?.signal,
  });
  return { code, out, err };
}
