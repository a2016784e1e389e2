#!/usr/bin/env bash
# The measurements the issues ask of a hardware GPU, in as few commands as a lent GPU machine
# allows (each part fits in 10 minutes). Run from the project root with deno on the PATH:
#
#   bash scripts/gpu_measure.sh check bench      # then, in a second command:
#   bash scripts/gpu_measure.sh pong a3c
#
# Parts:
#   check  every test on this machine's GPU (each WGSL kernel against its twin on real hardware)
#   bench  deno task bench matmul learner envs pong a2c (the big sizes run on a hardware GPU)
#   pong   examples/a2c_pong.ts to +18 or 9 minutes, whichever comes first (run folder, GIF)
#   a3c    deno task bench a3c (W = 1, 2, 4, … up to the cores)
#
# Everything lands in $OUT (default ./gpu-out): logs, the bench JSON, the Pong run folder.
set -euo pipefail
out="${OUT:-gpu-out}"
mkdir -p "$out"
deno eval 'const a = await navigator.gpu.requestAdapter(); console.log(a?.info.description ?? "no adapter")' |
  tee "$out/adapter.txt"
for part in "$@"; do
  echo "== $part" >&2
  case "$part" in
  check) deno test -A tests/suite.ts >"$out/check.log" 2>&1 || echo "check failed: see $out/check.log" ;;
  bench) deno task bench matmul learner envs pong a2c 2>&1 | tee "$out/bench.log" ;;
  pong)
    timeout 540 deno run -A examples/a2c_pong.ts --out "$out" --name a2c-pong 2>&1 |
      tail -n 40 >"$out/pong.log" || echo "pong stopped (status $?): see $out/pong.log"
    ;;
  a3c) deno task bench a3c 2>&1 | tee "$out/a3c.log" ;;
  *)
    echo "unknown part: $part (allowed: check, bench, pong, a3c)" >&2
    exit 2
    ;;
  esac
done
cp bench/results/*.json "$out/" 2>/dev/null || true
