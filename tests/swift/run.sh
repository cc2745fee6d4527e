#!/usr/bin/env bash
# The Swift gates, for Linux machines without a Swift compiler:
#   1. generates the Swift bindings from the built libheirloom with the pinned uniffi-bindgen;
#   2. checks that ios/Sources/HeirloomFFI/module.modulemap names the generated module and header;
#   3. checksums.py: the bindings' load-time contract-version and API checksums, called from C
#      against the library (plus its self-test: altered expectations must fail);
#   4. parse_swift.py: the generated Heirloom.swift and every hand-written .swift file under ios/
#      parse with tree-sitter-swift with no ERROR or MISSING node (plus its self-test: broken
#      copies must be caught).
# The last line is "swift: N passed, M failed" (one per gate); exits non-zero if any gate fails.
#
# Usage: tests/swift/run.sh [LIB_DIR [GEN_DIR]]
#   LIB_DIR  where libheirloom.so is    (or $HEIRLOOM_LIB_DIR; default $target/debug)
#   GEN_DIR  where to generate bindings (or $HEIRLOOM_SWIFT_GEN; default $target/swift-gen)
#   with target=${CARGO_TARGET_DIR:-~/.cache/heirloom/target}.
# Environment: UNIFFI_BINDGEN (default $target/debug/uniffi-bindgen), HEIRLOOM_VENV (a venv with
# tree-sitter and tree-sitter-swift, default ~/.cache/heirloom/venv; this script installs nothing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$HOME/.cache/heirloom/target}
lib_dir=${1:-${HEIRLOOM_LIB_DIR:-$target/debug}}
gen=${2:-${HEIRLOOM_SWIFT_GEN:-$target/swift-gen}}
bindgen=${UNIFFI_BINDGEN:-$target/debug/uniffi-bindgen}
venv=${HEIRLOOM_VENV:-$HOME/.cache/heirloom/venv}
python=$venv/bin/python
lib=$lib_dir/libheirloom.so

[[ -f $lib ]] || { echo "FAIL no library at $lib (build it first)"; exit 1; }
[[ -x $bindgen ]] || { echo "FAIL no uniffi-bindgen at $bindgen (build it first)"; exit 1; }
if ! "$python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
    echo "FAIL $python cannot import tree_sitter and tree_sitter_swift (run the setup script)"
    exit 1
fi

# 1. Generate, from the repository root so that bindings/uniffi.toml applies.
cd "$repo"
mkdir -p "$gen"
rm -f "$gen/Heirloom.swift" "$gen/HeirloomFFI.h" "$gen/HeirloomFFI.modulemap"
("$bindgen" generate --no-format --library "$lib" --language swift --out-dir "$gen" >/dev/null)
for f in Heirloom.swift HeirloomFFI.h HeirloomFFI.modulemap; do
    [[ -s $gen/$f ]] || { echo "FAIL uniffi-bindgen did not write $gen/$f"; exit 1; }
done
echo "generated Swift bindings in $gen"

passed=0
failed=0
gate() {
    local name=$1
    shift
    echo "== $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL gate: $name"
    fi
}

# 2. The hand-written module map must declare the module and header the bindings use.
modulemap_matches() {
    local ours=ios/Sources/HeirloomFFI/module.modulemap module header
    module=$(sed -n 's/^ *module \([A-Za-z_][A-Za-z0-9_]*\) *{.*/\1/p' "$gen/HeirloomFFI.modulemap")
    header=$(sed -n 's/^ *header "\([^"]*\)".*/\1/p' "$gen/HeirloomFFI.modulemap")
    grep -q "^ *module $module *{" "$ours" && grep -q "^ *header \"$header\"" "$ours" \
        && grep -q "import $module\$" "$gen/Heirloom.swift" \
        && echo "ok   $ours declares module $module with header $header"
}
gate "module map" modulemap_matches

# 3. Checksums and contract version, from C against the library.
gate "checksums" python3 "$here/checksums.py" \
    --swift "$gen/Heirloom.swift" --header "$gen/HeirloomFFI.h" --library "$lib"
gate "checksums self-test" python3 "$here/checksums.py" --self-test \
    --swift "$gen/Heirloom.swift" --header "$gen/HeirloomFFI.h" --library "$lib"

# 4. Syntax: the generated file and the hand-written ones (not ios/'s own generated copy).
mapfile -t handwritten < <(find ios -name '*.swift' \
    -not -path '*/.build/*' -not -path 'ios/Sources/Heirloom/Heirloom.swift' | sort)
if [[ ${#handwritten[@]} -eq 0 ]]; then
    echo "FAIL no hand-written Swift files found under $repo/ios"
    exit 1
fi
gate "parse" "$python" "$here/parse_swift.py" "$gen/Heirloom.swift" "${handwritten[@]}"
gate "parse self-test" "$python" "$here/parse_swift.py" --self-test "$gen/Heirloom.swift"

echo "swift: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
