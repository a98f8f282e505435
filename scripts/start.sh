#!/usr/bin/env bash
# Sets up and runs the main job. For now: evaluates the season0 example release
# and prints where each flag stands for a few users (pass --at TIME to travel).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release --locked --example demo -- "$@"
