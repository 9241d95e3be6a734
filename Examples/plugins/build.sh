#!/usr/bin/env bash
# Builds every example plugin here into a .wasm beside its source, with the Swift toolchain's
# clang and wasm-ld (no WASI, no libc): `Examples/plugins/build.sh`, then
# `lumora plugins install <store> Examples/plugins/ten-percent-over-100.wasm --point cart.discounts`.
set -euo pipefail
cd "$(dirname "$0")"
CLANG="${CLANG:-$(dirname "$(command -v swift)")/clang}"
for source in *.c; do
    "$CLANG" --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o "${source%.c}.wasm" "$source"
    echo "built ${source%.c}.wasm"
done
