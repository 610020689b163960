# s3lift tasks. `./scripts/just --list` shows them; `./scripts/just` installs
# `just` itself when it is missing. Every recipe calls the bootstrap first, so a
# fresh machine needs nothing installed by hand.

set shell := ["bash", "-euo", "pipefail", "-c"]

cache := env_var_or_default("S3LIFT_CACHE", env_var("HOME") + "/.cache/s3lift")
export PATH := cache + "/bin:" + env_var("HOME") + "/.local/bin:" + env_var("PATH")
export S3LIFT_CACHE := cache
export CARGO_TERM_COLOR := "never"

# Show the recipes.
default:
    @just --list

# Install what is missing: wasm32 target, wasm-bindgen-cli, Garage, Chromium, npm deps.
bootstrap what="all":
    scripts/bootstrap.sh {{what}}

# Build the signer and the `s3lift` CLI (release), and the npm package (dist/pkg + dist/s3lift-*.tgz).
build: (bootstrap "demo")
    cargo build --release -p s3lift-signer -p s3lift-testkit -p s3lift-cli
    scripts/build-client.sh

# Run the demo on the embedded store: open the URL it prints.
demo: build
    target/release/s3lift-signer dev

# The reliability suite (signer kill, replicas, 3-node Garage node loss) adds about 4 minutes.
# Every test: native, wasm in headless Chromium, signer against Garage, browser end to end, reliability.
test: (bootstrap "test")
    just check
    cargo test --workspace --locked
    just test-wasm
    just build
    just test-browser
    cd tests && node --test --test-concurrency=1 reliability/

# wasm-bindgen-test in headless Chromium (through chromedriver).
test-wasm:
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER={{cache}}/bin/wasm-bindgen-test-runner \
    CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON={{justfile_directory()}}/crates/client/webdriver.json \
    WASM_BINDGEN_TEST_TIMEOUT=120 \
        cargo test -p s3lift-client --target wasm32-unknown-unknown --locked

# Browser end-to-end tests (playwright-core + Debian Chromium, Garage as the store).
test-browser:
    cd tests && node --test --test-concurrency=1 e2e/

# Fault injection, replicas and the 3-node Garage cluster.
test-reliability: build
    cd tests && node --test --test-concurrency=1 e2e/faults.test.mjs reliability/

# Benchmarks: writes BENCHMARKS.md.
bench: build (bootstrap "companion") (bootstrap "awscli")
    cd tests && node bench/run.mjs

# Format and lint.
check:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy -p s3lift-client --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
    # The shipped bundle: no `std` (scripts/build-client.sh).
    cargo clippy -p s3lift-client --target wasm32-unknown-unknown --lib --no-default-features --locked -- -D warnings
