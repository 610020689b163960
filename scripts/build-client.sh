#!/usr/bin/env bash
# Builds the npm package `s3lift` into dist/pkg and packs dist/s3lift-<version>.tgz:
# release wasm (profile `wasm`), wasm-bindgen --target web (s3lift.js, and the I/O
# snippet crates/client/src/io.js under snippets/), wasm-opt -Oz from npm
# binaryen@132 (Debian's wasm-opt 108 emits modules that fail to load), the
# dropzone component, package.json and README; and the digest module
# s3lift-digest.wasm (crates/digest: CRC-32, CRC64NVME, MD5), which the I/O snippet
# fetches on first use only (outside the bundle figure, printed on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${S3LIFT_CACHE:-$HOME/.cache/s3lift}"
export PATH="$CACHE/bin:$PATH"
OUT=dist/pkg
VERSION=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)

# Panic locations stay in the module (a panic traps, but every call site passes its
# `Location`): shorter paths for them, `engine/src/x.rs` for `crates/engine/src/x.rs`
# and `js-sys-0.3.107/src/lib.rs` for the registry's. Only this build has the flags
# (other builds keep their own cached units).
remap="--remap-path-prefix=crates/="
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do remap+=" --remap-path-prefix=$d="; done
# The linker drops js-sys's JSPI trampoline export, which wasm-bindgen deletes anyway
# after the link, so the task machinery it kept leaves the module (scripts/wasm-ld.sh).
S3LIFT_RUST_LLD="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld"
export S3LIFT_RUST_LLD
RUSTFLAGS="${RUSTFLAGS:-} $remap -C linker=$PWD/scripts/wasm-ld.sh" \
  cargo build -p s3lift-client --target wasm32-unknown-unknown --profile wasm --locked --no-default-features
# The digest module: no wasm-bindgen, no std (its own page allocator and panic
# handler), nothing imported; the same profile, without the bundle's linker.
cargo build -p s3lift-digest --target wasm32-unknown-unknown --profile wasm --locked
rm -rf "$OUT" && mkdir -p "$OUT"
# No `std` in the module (crates/client `std` feature off): a dependency that
# turns it back on brings std's panic hook and `core::fmt` (+2.6 KB gz).
for m in s3lift_client s3lift_digest; do
  ! grep -aq '__rust_start_panic' target/wasm32-unknown-unknown/wasm/$m.wasm ||
    { echo "$m.wasm links std: a dependency's std feature is on (cargo tree -e features)" >&2; exit 1; }
done
wasm-bindgen --target web --remove-name-section --remove-producers-section --out-name s3lift \
  --out-dir "$OUT" target/wasm32-unknown-unknown/wasm/s3lift_client.wasm
# wasm-bindgen types `[Symbol.dispose]()`, which a project on `lib: ["ES2022", "DOM"]`
# lacks (TS2550). The reference brings TypeScript's own declaration (TypeScript >= 5.2);
# tests/e2e/types.test.mjs compiles an app against the packed tarball.
sed -i '1i /// <reference lib="esnext.disposable" />' "$OUT/s3lift.d.ts"
# wasm-bindgen cannot mark a parameter optional; `upload(file)` without options is fine.
grep -q 'upload(file: File, options: UploadOptions)' "$OUT/s3lift.d.ts" ||
  { echo "s3lift.d.ts: upload()'s signature changed; update build-client.sh" >&2; exit 1; }
sed -i 's/upload(file: File, options: UploadOptions)/upload(file: File, options?: UploadOptions)/' "$OUT/s3lift.d.ts"
# wasm-bindgen's import names carry a 16-digit hash each: short names instead (-1.7 KB gz);
# its own exports (closure calls, runtime) too (-0.4 KB gz), and those the glue never
# calls dropped before wasm-opt, which then drops what only they kept.
python3 scripts/short-imports.py "$OUT"
WASM_OPT=tests/node_modules/.bin/wasm-opt
[ -x "$WASM_OPT" ] || { echo "npm binaryen@132 missing: run scripts/bootstrap.sh node" >&2; exit 1; }
# --flatten --rereloop rebuilds each function's control flow with binaryen's
# Relooper, and -Oz shrinks what it gives; twice, then --gufa (its flow
# analysis finds constant values) and -Oz: -0.6 KB gz against -Oz alone.
# (-Oz before the first round, a third round, or no --gufa: 50-200 B more.)
# -ocimfs 30: binaryen inlines a function called once only when it is at
# most 30 bytes (its default: whatever the size); LLVM already inlined what
# pays, and the Relooper shrinks the functions apart better than merged:
# -0.6 KB gz (16 to 50 all gain 0.5-0.6 KB; 0: -0.3 KB; 400 and more: nothing).
# The best value moves with the code by tens of bytes (25 at the ninth bundle
# round; 30 after the tenth: 20 +78, 25 +54, 28 +35, 35 +140 B against it).
# --generate-global-effects first (what each function may touch, for the passes
# that reorder or drop calls): -4 B gz.
# A last --optimize-instructions after --gufa -Oz: -12 B gz (-Oz's own run of it
# comes before passes that leave more for it).
OPT=(-ocimfs 30 --generate-global-effects --flatten --rereloop -Oz --converge --flatten --rereloop -Oz --converge --gufa -Oz --optimize-instructions --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue
  --strip-debug --strip-producers --strip-target-features)
"$WASM_OPT" "${OPT[@]}" "$OUT/s3lift_bg.wasm" -o "$OUT/s3lift_bg.wasm"
# The functions in an order that gzips smaller (neighbours that share code; deflate
# looks back 32 KB only): -0.58 KB gz, about 20 s. It renumbers every function
# index and checks that mapping back gives the same module.
python3 scripts/order-functions.py "$OUT/s3lift_bg.wasm"
# The digest module (exports `memory`, `buf`, `state`, `state_len` and `step`, and the
# linker's two globals; io.js finds it at the package's root) through the same passes the
# CRC64NVME and MD5 loops had in the main module: 3481 B (2225 gz) against 3532 B (2251 gz)
# with -Oz alone, at the same speed (Node: 1 GiB of CRC64NVME in 0.73-0.76 s, of MD5 in
# 2.6-2.8 s, in 4 MiB pieces as io.js sends them; the same as whole 64 MiB parts).
"$WASM_OPT" "${OPT[@]}" target/wasm32-unknown-unknown/wasm/s3lift_digest.wasm -o "$OUT/s3lift-digest.wasm"
# The entry (crates/client/js/s3lift.js) re-exports wasm-bindgen's module and adds
# `worker: true`, which runs that module in s3lift-worker.js; s3lift.d.ts types both.
mv "$OUT/s3lift.js" "$OUT/s3lift-wasm.js"
cp crates/client/js/s3lift.js crates/client/js/s3lift-worker.js "$OUT/"
# The entry imports the snippet's `fingerprint` (one copy for the page and the module):
# from its place in the package (snippets/<crate>-<hash>/src/io.js).
snippet=$(cd "$OUT" && echo snippets/*/src/io.js)
[ -f "$OUT/$snippet" ] && grep -q "from '../src/io.js';" "$OUT/s3lift.js" ||
  { echo "s3lift.js: its import of the snippet (io.js) changed; update build-client.sh" >&2; exit 1; }
sed -i "s#from '../src/io.js';#from './$snippet';#" "$OUT/s3lift.js"
cp www/dropzone.js "$OUT/dropzone.js" 2>/dev/null || echo "warning: www/dropzone.js not found; package without ./dropzone" >&2
rm -rf "$OUT/dropzone" && [ -d www/dropzone ] && cp -r www/dropzone "$OUT/dropzone"
[ -f www/dropzone.d.ts ] && cp www/dropzone.d.ts "$OUT/dropzone.d.ts"
cp crates/client/README.md "$OUT/README.md"
cat > "$OUT/package.json" <<JSON
{
  "name": "s3lift",
  "version": "$VERSION",
  "description": "Direct-to-S3 browser uploads: parallel multipart over presigned URLs, resumable, with byte progress (Rust/wasm)",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "./s3lift.js",
  "module": "./s3lift.js",
  "types": "./s3lift.d.ts",
  "exports": {
    ".": { "types": "./s3lift.d.ts", "import": "./s3lift.js", "default": "./s3lift.js" },
    "./dropzone": { "types": "./dropzone.d.ts", "import": "./dropzone.js", "default": "./dropzone.js" },
    "./s3lift_bg.wasm": "./s3lift_bg.wasm",
    "./s3lift-digest.wasm": "./s3lift-digest.wasm"
  },
  "files": ["s3lift.js", "s3lift-wasm.js", "s3lift-worker.js", "s3lift.d.ts", "s3lift_bg.wasm", "s3lift_bg.wasm.d.ts", "s3lift-digest.wasm", "snippets/", "dropzone.js", "dropzone/", "dropzone.d.ts", "README.md"],
  "sideEffects": ["./dropzone.js"],
  "keywords": ["s3", "upload", "multipart", "presigned", "wasm", "resumable"]
}
JSON
(cd dist && rm -f s3lift-*.tgz && npm pack ./pkg --silent >/dev/null 2>&1 && ls s3lift-*.tgz >/dev/null)
wasm_gz=$(gzip -9c "$OUT/s3lift_bg.wasm" | wc -c)
# What an app ships after its bundler minifies the glue (as the bench measures Uppy),
# with the JS snippets wasm-bindgen emits (snippets/) bundled in.
glue_gz=$(tests/node_modules/.bin/esbuild "$OUT/s3lift.js" --bundle --minify --format=esm --log-level=error | gzip -9c | wc -c)
dz_gz=$( [ -f "$OUT/dropzone.js" ] && cat "$OUT/dropzone.js" "$OUT"/dropzone/*.js | gzip -9c | wc -c || echo 0)
digest_gz=$(gzip -9c "$OUT/s3lift-digest.wasm" | wc -c)
worker_gz=$(tests/node_modules/.bin/esbuild "$OUT/s3lift-worker.js" --minify --log-level=error | gzip -9c | wc -c)
# tests/e2e/bundle.test.mjs holds the figure to its budget.
printf '{"wasmGz":%d,"glueGz":%d,"total":%d,"workerGz":%d,"dropzoneGz":%d,"digestGz":%d}\n' \
  "$wasm_gz" "$glue_gz" $((wasm_gz + glue_gz)) "$worker_gz" "$dz_gz" "$digest_gz" > dist/bundle-size.json
echo "s3lift: wasm $(wc -c < "$OUT/s3lift_bg.wasm") B ($wasm_gz gz) + glue $(wc -c < "$OUT/s3lift.js") B ($glue_gz gz minified) = $((wasm_gz + glue_gz)) B gzipped; dropzone $dz_gz B gzipped; digest module (fetched with \`checksum\` or a resume's part check) $(wc -c < "$OUT/s3lift-digest.wasm") B ($digest_gz gz); worker (loaded with \`worker: true\`, besides the glue) $worker_gz B gzipped"
