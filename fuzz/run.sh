#!/bin/bash
# Runs fuzz targets one after another, each until 10 million executions or
# the time limit (default 4200 s), whichever comes first: the budget issue 16
# sets. Scratch corpora go to $FUZZ_SCRATCH (default /tmp/edgeflag-fuzz), so
# the repository's seeds stay small. `nice` keeps it out of a build's way.
#   fuzz/run.sh json context            # two targets, sequentially
#   FUZZ_SECONDS=600 fuzz/run.sh eval   # a shorter run
set -euo pipefail
cd "$(dirname "$0")"
# With the kernel's autogroups (Debian's default), nice only orders processes
# of one session: started from another session, the fuzzers would still take
# half the machine from a build. Lowering the whole group's weight does it.
echo 19 > /proc/self/autogroup 2>/dev/null || true
scratch=${FUZZ_SCRATCH:-/tmp/edgeflag-fuzz}
seconds=${FUZZ_SECONDS:-4200}
for t in "${@:-json context eval verify release verify_signed}"; do
  for one in $t; do
    mkdir -p "$scratch/$one"
    RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -O "$one" "$scratch/$one" "corpus/$one" -- \
      -runs=10000000 -max_total_time="$seconds" -print_final_stats=1 2>&1 | tee "$scratch/$one.log" | grep -E '^(Done|stat::)|SUMMARY|panicked' || true
  done
done
