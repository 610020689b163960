#!/usr/bin/env bash
# Installs whatever the recipes need and this machine lacks. Idempotent and
# quick when everything is there. Usage: scripts/bootstrap.sh [demo|test|all|<step>...]
#   steps: rust wasm-bindgen garage chromium node companion awscli
# Heavy tools are cached outside the clone ($S3LIFT_CACHE, default ~/.cache/s3lift),
# so a fresh clone in CI does not rebuild Garage (about 12 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${S3LIFT_CACHE:-$HOME/.cache/s3lift}"
export PATH="$CACHE/bin:$PATH"
mkdir -p "$CACHE/bin"

GARAGE_VERSION=2.5.0
say() { printf 'bootstrap: %s\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step_rust() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    say "adding rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
}

step_wasm_bindgen() {
  local want have
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  [ -n "$want" ] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
  have=$("$CACHE/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $2}' || true)
  [ "$have" = "$want" ] && return
  say "installing wasm-bindgen-cli $want (Cargo.lock's version; about 3 minutes)"
  # `--locked` fails here on a dependency missing from the registry; retry without it.
  cargo install wasm-bindgen-cli --version "=$want" --root "$CACHE" --locked \
    || cargo install wasm-bindgen-cli --version "=$want" --root "$CACHE"
}

step_garage() {
  if "$CACHE/bin/garage" --version 2>/dev/null | grep -q "$GARAGE_VERSION"; then return; fi
  say "building Garage $GARAGE_VERSION into $CACHE/bin (about 12 minutes, once)"
  cargo install garage --locked --version "$GARAGE_VERSION" --root "$CACHE"
}

step_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  say "installing Debian chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get install -y --no-install-recommends chromium chromium-driver \
    || { sudo_if_needed apt-get update && sudo_if_needed apt-get install -y --no-install-recommends chromium chromium-driver; }
}

step_node() {
  command -v npm >/dev/null || { say "npm is required (node with npm)"; exit 1; }
  # Reinstall only when the lock file changed since the last install.
  if [ ! -f tests/node_modules/.package-lock.json ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    say "installing npm dev dependencies in tests/"
    # `npm install`, not `npm ci`: this npm leaves other platforms' optional
    # packages (rollup's) out of the lock file, and `npm ci` then refuses it.
    (cd tests && npm install --no-audit --no-fund --no-save --loglevel=error)
  fi
}

# @uppy/companion for `just bench` only, in its own folder so the test suite's
# install in tests/ stays small.
step_companion() {
  command -v npm >/dev/null || { say "npm is required (node with npm)"; exit 1; }
  local dir=tests/bench/companion
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing @uppy/companion (bench only) in $dir"
    (cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error)
  fi
}

# awscli and boto3 from PyPI, for the command-line uploader's comparison in `just bench`.
step_awscli() {
  local venv="$CACHE/awscli-venv"
  if "$venv/bin/aws" --version 2>/dev/null | grep -q "aws-cli/1.46.3" && "$venv/bin/python" -c 'import boto3' 2>/dev/null; then return; fi
  say "installing awscli 1.46.3 and boto3 1.44.8 into $venv (bench only)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check awscli==1.46.3 boto3==1.44.8
}

steps=()
for what in "${@:-all}"; do
  case "$what" in
    demo) steps+=(rust wasm_bindgen node) ;;
    test|all) steps+=(rust wasm_bindgen garage chromium node) ;;
    rust|garage|chromium|node|companion|awscli) steps+=("$what") ;;
    wasm-bindgen) steps+=(wasm_bindgen) ;;
    *) say "unknown step $what (demo, test, all, rust, wasm-bindgen, garage, chromium, node, companion, awscli)"; exit 2 ;;
  esac
done
for s in "${steps[@]}"; do "step_$s"; done
