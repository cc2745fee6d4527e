#!/usr/bin/env bash
# Generates the Swift bindings for this package from a built libheirloom:
#   Sources/Heirloom/Heirloom.swift     (the Swift API)
#   Sources/HeirloomFFI/HeirloomFFI.h   (the C header behind it; module.modulemap is hand-written)
# Usage: ios/generate.sh [LIB_DIR]   (default: $HEIRLOOM_LIB_DIR, else <repo>/target/debug)
# UNIFFI_BINDGEN overrides the bindgen binary (default: the workspace's pinned one in LIB_DIR).
set -euo pipefail
ios=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$ios/.." && pwd)
lib_dir=${1:-${HEIRLOOM_LIB_DIR:-$repo/target/debug}}
bindgen=${UNIFFI_BINDGEN:-$lib_dir/uniffi-bindgen}
lib=$lib_dir/libheirloom.dylib
[[ -f $lib ]] || lib=$lib_dir/libheirloom.so
[[ -f $lib ]] || { echo "no libheirloom in $lib_dir: run 'cargo build -p heirloom-ffi -p uniffi-bindgen' first" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$repo" && "$bindgen" generate --no-format --library "$lib" --language swift --out-dir "$out" >/dev/null)
mkdir -p "$ios/Sources/Heirloom" "$ios/Sources/HeirloomFFI"
cp "$out/Heirloom.swift" "$ios/Sources/Heirloom/Heirloom.swift"
cp "$out/HeirloomFFI.h" "$ios/Sources/HeirloomFFI/HeirloomFFI.h"
echo "generated Sources/Heirloom/Heirloom.swift and Sources/HeirloomFFI/HeirloomFFI.h from $lib"
