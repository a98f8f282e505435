# What the scripts need before they build or test, known in one place: how
# to tell that a need is met, how it is installed, and what to say when it is
# not. Sourced, never run, by scripts/*.sh and npm/build.sh:
#
#   . scripts/lib/need.sh        (after the script's cd to the repository root)
#
#   ready NEED       whether NEED is met (quietly)
#   need NEED...     stop (exit 2) naming each unmet need and the command to run
#   ensure NEED...   install each unmet need (as scripts/setup.sh would), then need them
#   install_need NEED  install one need: what scripts/setup.sh runs for it
#   target_dir       cargo's target directory (honours CARGO_TARGET_DIR and cargo config)
#   edgeflag_cli     the debug build of the edgeflag CLI in that directory
#
# A NEED is one of
#   wasm32          rustc's wasm32-unknown-unknown target (without it, rustc
#                   stops with "can't find crate for `core`")
#   wasm-bindgen    wasm-bindgen and wasm-bindgen-test-runner at exactly the
#                   version of the wasm-bindgen crate in Cargo.lock
#   worker-build    the edge worker's build tool, at the version pinned below
#   npm:DIR         DIR's node_modules, installed from its current package-lock.json
#   DIR/node_modules/.bin/TOOL   one executable from those
#   any other name  a tool on PATH (chromium, chromedriver, node)
# Paths are relative to the repository root.

EDGEFLAG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The script that sourced this file, for messages: scripts/build-worker.sh.
EDGEFLAG_SCRIPT=$(basename "$(dirname "$0")")/$(basename "$0")
# worker-build is not in Cargo.lock (it is a tool, not a dependency): pinned here.
WORKER_BUILD_VERSION=0.8.7

have() { command -v "$1" >/dev/null 2>&1; }

# The wasm-bindgen crate's version in Cargo.lock; empty when there is none.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' \
    "$EDGEFLAG_ROOT/Cargo.lock"
}

ready() {
  local v
  case $1 in
    wasm32)
      # rustc's own sysroot, so this holds with or without rustup.
      [ -d "$(rustc --print sysroot 2>/dev/null)/lib/rustlib/wasm32-unknown-unknown/lib" ] ;;
    wasm-bindgen)
      v=$(wasm_bindgen_version)
      [ -z "$v" ] || {
        wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $v" &&
          wasm-bindgen-test-runner --version 2>/dev/null | grep -q " $v$"
      } ;;
    npm:*)
      local dir=$EDGEFLAG_ROOT/${1#npm:}
      # scripts/setup.sh stamps each install with the lockfile it installed.
      [ -f "$dir/node_modules/.edgeflag-lock" ] &&
        cmp -s "$dir/package-lock.json" "$dir/node_modules/.edgeflag-lock" ;;
    */*) [ -x "$EDGEFLAG_ROOT/$1" ] ;;
    *) have "$1" ;;
  esac
}

# The command that installs one need by hand.
fix_command() {
  case $1 in
    wasm32) echo "rustup target add wasm32-unknown-unknown" ;;
    wasm-bindgen) echo "cargo install wasm-bindgen-cli --version $(wasm_bindgen_version) --locked" ;;
    worker-build) echo "cargo install worker-build --version $WORKER_BUILD_VERSION --locked" ;;
    npm:*) echo "(cd ${1#npm:} && npm ci)" ;;
    */node_modules/*) fix_command "npm:${1%%/node_modules/*}" ;;
    chromium | chromedriver) echo "apt-get install chromium chromium-driver" ;;
    *) echo "install $1" ;;
  esac
}

# What is missing, in words.
unmet() {
  case $1 in
    wasm32) echo "rustc's wasm32-unknown-unknown target is missing" ;;
    wasm-bindgen)
      local found
      found=$(wasm-bindgen --version 2>/dev/null || echo "none")
      echo "wasm-bindgen $(wasm_bindgen_version) (Cargo.lock's) is missing, found: $found" ;;
    npm:*) echo "${1#npm:}/node_modules is missing or older than its package-lock.json" ;;
    *) echo "$1 is missing" ;;
  esac
}

need() {
  local n unmet=0
  for n in "$@"; do
    if ! ready "$n"; then
      echo "$EDGEFLAG_SCRIPT: $(unmet "$n"); run: bash scripts/setup.sh (for this alone: $(fix_command "$n"))" >&2
      unmet=1
    fi
  done
  [ "$unmet" = 0 ] || exit 2
}

say_setup() { printf '  setup: %s\n' "$*"; }

install_need() {
  case $1 in
    wasm32)
      if have rustup; then
        say_setup "rustup target wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
      else
        # Without rustup the target comes with the toolchain's own packaging.
        echo "$EDGEFLAG_SCRIPT: $(unmet wasm32), and there is no rustup to add it:" \
          "install the wasm32-unknown-unknown standard library for $(rustc --version 2>/dev/null || echo rustc)" >&2
        return 2
      fi ;;
    wasm-bindgen)
      # The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
      local v
      v=$(wasm_bindgen_version)
      say_setup "wasm-bindgen-cli $v (a few minutes, once)"
      cargo_install wasm-bindgen-cli "$v" ;;
    worker-build)
      say_setup "worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
      cargo_install worker-build "$WORKER_BUILD_VERSION" ;;
    npm:*)
      local dir=${1#npm:}
      say_setup "npm ci in $dir"
      (cd "$EDGEFLAG_ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error)
      cp "$EDGEFLAG_ROOT/$dir/package-lock.json" "$EDGEFLAG_ROOT/$dir/node_modules/.edgeflag-lock" ;;
    */node_modules/*) install_need "npm:${1%%/node_modules/*}" ;;
    chromium | chromedriver)
      say_setup "chromium and chromedriver from Debian"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null ;;
    *)
      echo "$EDGEFLAG_SCRIPT: $1 is missing, and scripts/lib/need.sh does not know how to install it" >&2
      return 2 ;;
  esac
}

ensure() {
  local n
  for n in "$@"; do
    ready "$n" || install_need "$n"
  done
  need "$@"
}

target_dir() {
  cargo metadata --format-version 1 --no-deps --locked --manifest-path "$EDGEFLAG_ROOT/Cargo.toml" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))'
}

# `cargo install --locked` first: the versions the tool was released with. A
# lockfile can pin a version the registry does not offer (on 2026-12-07 a clean
# machine's index had no webpki-roots 1.0.11, which wasm-bindgen-cli 0.2.130
# pins); then a fresh resolution within the tool's own requirements installs it.
cargo_install() {
  cargo install "$1" --version "$2" --locked --quiet && return 0
  echo "$EDGEFLAG_SCRIPT: $1 $2 does not install with its own lockfile; resolving its dependencies afresh" >&2
  cargo install "$1" --version "$2" --quiet
}

edgeflag_cli() { echo "$(target_dir)/debug/edgeflag"; }
