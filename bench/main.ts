/**
 * `deno task bench [groups...]`: runs the GPU-vs-CPU benchmark of `src/bench/run.ts`, prints
 * the markdown table and writes `bench/results/<adapter>.json` (the same as `deno task rl
 * bench`, which also draws the bar chart of GPU/CPU ratios).
 *
 * @module
 */

import { benchTable, runBench } from "../src/bench/run.ts";

const report = await runBench({
  groups: Deno.args.length ? Deno.args : undefined,
  onRows: (group, rows) => console.log(`${group}: ${rows.length} rows`),
});
console.log(`\n${report.device}, ${report.date}\n\n${benchTable(report.rows)}`);
console.log(`\nwrote ${report.file}`);
for (const f of report.failures) console.error(`bench: group ${f.group} failed: ${f.message}`);
if (report.failures.length) Deno.exit(1);
