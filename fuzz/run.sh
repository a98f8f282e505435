#!/bin/bash
# Runs fuzz targets one after another, each until 10 million executions or
# the time limit (default 4200 s), whichever comes first: the budget issue 16
# sets. Scratch corpora go to $FUZZ_SCRATCH (default /tmp/edgeflag-fuzz), so
# the repository's seeds stay small. `nice` keeps it out of a build's way.
#   fuzz/run.sh json context            # two targets, sequentially
#   FUZZ_SECONDS=600 fuzz/run.sh eval   # a shorter run
set -euo pipefail
# All of it in a function, read whole before it runs: bash reads a script as
# it goes, and an edit during an hour-long run once re-started two targets.
main() {
  cd "$(dirname "$0")"
  # With the kernel's autogroups (Debian's default), nice only orders
  # processes of one session: started from another session, the fuzzers
  # would still take half the machine from a build. Lowering the whole
  # group's weight does it.
  echo 19 > /proc/self/autogroup 2>/dev/null || true
  local scratch=${FUZZ_SCRATCH:-/tmp/edgeflag-fuzz}
  local seconds=${FUZZ_SECONDS:-4200}
  local t one
  for t in "${@:-json context eval verify release verify_signed}"; do
    for one in $t; do
      mkdir -p "$scratch/$one"
      # A log per target and run: a later run never overwrites an earlier one.
      RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -O "$one" "$scratch/$one" "corpus/$one" -- \
        -runs=10000000 -max_total_time="$seconds" -print_final_stats=1 2>&1 |
        tee "$scratch/$one.$(date -u +%Y%m%dT%H%M%SZ).log" | grep -E '^(Done|stat::)|SUMMARY|panicked' || true
    done
  done
}
main "$@"
exit
