# Sourced by the project's scripts: where builds, tools and caches live (outside the clone, so
# reruns are incremental and a fresh clone stays clean).
export HEIRLOOM_CACHE=${HEIRLOOM_CACHE:-$HOME/.cache/heirloom}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HEIRLOOM_CACHE/target}
export HEIRLOOM_TOOLS=${HEIRLOOM_TOOLS:-$HEIRLOOM_CACHE/tools}
export HEIRLOOM_MODELS=${HEIRLOOM_MODELS:-$HEIRLOOM_CACHE/models}
export HEIRLOOM_VENV=${HEIRLOOM_VENV:-$HEIRLOOM_CACHE/venv}
export UNIFFI_BINDGEN=${UNIFFI_BINDGEN:-$CARGO_TARGET_DIR/debug/uniffi-bindgen}
export HEIRLOOM_LIB_DIR=${HEIRLOOM_LIB_DIR:-$CARGO_TARGET_DIR/debug}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
