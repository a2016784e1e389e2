/**
 * The whole test suite in one isolate: imports every `*_test.ts` below `tests/`, in path
 * order, so that their `Deno.test`s register here. `deno task test` runs this module instead
 * of letting `deno test` start an isolate per test file.
 *
 * Why: on Mesa's software Vulkan driver (llvmpipe, the adapter of CI and of machines without
 * a GPU), a process in which an isolate that opened a WebGPU adapter ends while other
 * isolates come and go aborts at exit now and then, after every test passed ("double free or
 * corruption", "corrupted size vs. prev_size in fastbins", exit code 134). Measured with
 * Deno 2.9.6 on 2026-11-25: six test files that only call `navigator.gpu.requestAdapter()`
 * aborted in 19 of 40 runs of `deno test`; one file that opens a device and then starts and
 * ends six workers aborted in 0 of 40. Single test files still run on their own with
 * `deno test -A tests/<dir>/<name>_test.ts`.
 *
 * The crash still comes now and then after the runner has printed its summary, as an abort
 * (code 134) or a segfault (code 139): 2 of 5 clean-clone CI runs and 2 of 5 suite runs on
 * 2026-12-02, with A3C workers, child processes and more GPU tests in the suite.
 * `scripts/run_suite.ts`, which `deno task test` runs, counts a run whose summary says
 * "0 failed" and which then crashed with code 134 or 139 as a pass, and says so.
 *
 * @module
 */

/** Every `*_test.ts` below `dir`, as file URLs, sorted by path. */
async function testFiles(dir: URL): Promise<URL[]> {
  const found: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) found.push(...await testFiles(new URL(`${entry.name}/`, dir)));
    else if (entry.isFile && entry.name.endsWith("_test.ts")) found.push(new URL(entry.name, dir));
  }
  return found.sort((a, b) => a.href.localeCompare(b.href));
}

for (const file of await testFiles(new URL("./", import.meta.url))) await import(file.href);
