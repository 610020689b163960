#!/usr/bin/env bash
# The linker of the shipped wasm build (scripts/build-client.sh): rust-lld, without
# the one `--export __wbg_jspi_task_poll` rustc passes for js-sys's `#[no_mangle]`
# JSPI trampoline. wasm-bindgen deletes that export in a module with no
# `#[wasm_bindgen(jspi)]` export (ours), but only after the link, where it had kept
# js-sys's task machinery alive (the poll loop, a waker's vtable in the data section
# and its four functions in the table), which nothing can drop afterwards.
# Without the export the linker drops them itself. Every other argument is passed as is.
set -euo pipefail
lld="${S3LIFT_RUST_LLD:?the path of the toolchain rust-lld}"
args=()
prev=
for a in "$@"; do
  if [ "$prev" = --export ] && [ "$a" = __wbg_jspi_task_poll ]; then
    unset 'args[${#args[@]}-1]'
    prev=
    continue
  fi
  args+=("$a")
  prev=$a
done
exec "$lld" "${args[@]}"
