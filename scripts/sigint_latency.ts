/**
 * How long Ctrl-C takes to act on a large CPU run: starts `rl train` in a child process (Pong
 * 84×84, N 256, the CPU backend: about 2 s an iteration on the 2-core machine), sends SIGINT a
 * few seconds in, and times the exit (which includes writing the checkpoint). Prints one line a
 * round and the median; writes nothing but a temporary run folder, removed after.
 *
 * ```sh
 * deno run -A scripts/sigint_latency.ts [--rounds 3] [--envs 256] [--after 8]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    envs: { type: "string", default: "256" },
    after: { type: "string", default: "8" },
  },
});
const rounds = Number(values.rounds);
const afterMs = 1000 * Number(values.after);
const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
const seconds: number[] = [];
for (let r = 0; r < rounds; r++) {
  const root = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "train", "--env", "pong", "--backend", "cpu"]
      .concat(["--num-envs", values.envs!, "--steps", "1000000000", "--log-every", "1000000"])
      .concat(["--out", root, "--name", "sig"]),
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const t0 = performance.now();
  child.kill("SIGINT");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), 60_000))),
  ]);
  clearTimeout(timer);
  if (status === "timeout") {
    child.kill("SIGKILL");
    await child.status;
    throw new Error("no exit within 60 s of SIGINT");
  }
  const s = (performance.now() - t0) / 1000;
  seconds.push(s);
  console.log(`round ${r + 1}: exit code ${status.code} ${s.toFixed(2)} s after SIGINT`);
  await Deno.remove(root, { recursive: true });
}
seconds.sort((a, b) => a - b);
console.log(`median ${seconds[Math.floor(seconds.length / 2)].toFixed(2)} s over ${rounds} rounds`);
