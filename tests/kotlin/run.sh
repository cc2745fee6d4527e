#!/usr/bin/env bash
# Compiles the generated Kotlin bindings and tests/kotlin/*.kt with the real Kotlin compiler and
# runs them on the JVM against the built libheirloom (JNA). scripts/setup installs kotlinc and JNA.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$HOME/.cache/heirloom/target}
lib_dir=${HEIRLOOM_LIB_DIR:-$target/debug}
tools=${HEIRLOOM_TOOLS:-$HOME/.cache/heirloom/tools}
kotlin_home=$tools/node_modules/kotlin-compiler
jna=/usr/share/java/jna.jar
work=$target/kotlin-tests
rm -rf "$work" && mkdir -p "$work/gen"

(cd "$repo" && "$target/debug/uniffi-bindgen" generate --no-format \
    --library "$lib_dir/libheirloom.so" --language kotlin --out-dir "$work/gen" >/dev/null)
cp=$jna:$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar
"$kotlin_home/bin/kotlinc" -nowarn -include-runtime -cp "$cp" \
    "$work/gen/app/heirloom/core/heirloom.kt" "$repo"/tests/kotlin/*.kt -d "$work/tests.jar" 2>&1 \
    | grep -v '^warning' || true
test -f "$work/tests.jar"
# The consent and upload test talks to a real SeaweedFS and the reference enclave on loopback.
eval "$(HEIRLOOM_ENCLAVE_BIN="$target/debug/heirloom-enclave" "$repo/scripts/local-cloud" start "$work/cloud")"
trap '"$repo/scripts/local-cloud" stop $LOCAL_CLOUD_PIDS' EXIT
java -Djna.library.path="$lib_dir" -cp "$work/tests.jar:$cp" HeirloomTestKt
