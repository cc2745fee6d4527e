#!/usr/bin/env bash
# Fetches, verifies (sha256) and extracts the models and fixtures in models/manifest.json into
# $HEIRLOOM_MODELS (default models/cache/). Idempotent. Optional arguments name artifacts.
set -euo pipefail
exec python3 "$(dirname "$0")/fetch.py" "$@"
