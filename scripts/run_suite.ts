/**
 * Runs the test suite (`deno test -A tests/suite.ts`, extra arguments passed on) and exits
 * with its code, with one exception: a process that reported every test passed ("N passed |
 * 0 failed") and then aborted at exit (SIGABRT, code 134) counts as a pass, with a line that
 * says so. That abort is Mesa's llvmpipe tearing down its Vulkan state as the process ends
 * ("double free or corruption"), after the runner has reported; `tests/suite.ts` has the
 * measurements. Any failed test, any other exit code, or an abort before the summary still
 * fails.
 *
 * @module
 */

const ABORT = 134;
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "tests/suite.ts", ...Deno.args],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const decoder = new TextDecoder();
let tail = "";
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8192);
}
const status = await child.status;
// deno-lint-ignore no-control-regex
const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
const summary = plain.match(/ok \| (\d+) passed(?: \(\d+ steps\))? \| 0 failed/);
if (status.code === ABORT || status.signal === "SIGABRT") {
  if (summary) {
    console.log(
      `tests: all ${summary[1]} passed; the process then aborted at exit (code ${ABORT}), ` +
        "the llvmpipe teardown crash described in tests/suite.ts: counted as a pass",
    );
    Deno.exit(0);
  }
}
Deno.exit(status.code);
