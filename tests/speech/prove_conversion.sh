#!/usr/bin/env bash
# The conversion proof: the same clips decoded greedily by faster-whisper on the original
# CTranslate2 weights and by the core (whisper.cpp) on our converted ggml file must give the same
# words. JFK with tiny.en and base. Last line: "conversion: N passed, M failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/env.sh
venv=$HEIRLOOM_CACHE/speech-venv
if ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r bench/requirements-speech.txt
fi
cargo build --quiet --example transcribe -p heirloom-core
core=$CARGO_TARGET_DIR/debug/examples/transcribe
passed=0 failed=0
words() { python3 -c 'import json,sys; t=json.loads(sys.stdin.read().strip().splitlines()[-1])["text"]; print(" ".join(w for w in ("".join(c for c in x if c.isalnum() or c=="\x27").lower() for x in t.split()) if w))'; }
for model in tiny.en base; do
  ct2=$HEIRLOOM_MODELS/whisper-$model-ct2
  for clip in "$HEIRLOOM_MODELS/samples/jfk.wav"; do
    ours=$("$core" "$ct2/ggml-$model.bin" "$clip" --threads 1 --full-ctx --no-vad --language en | words)
    theirs=$("$venv/bin/python" bench/fw.py "$ct2" "$clip" 1 en 2>/dev/null | words)
    if [ "$ours" = "$theirs" ] && [ -n "$ours" ]; then
      echo "ok   $model $(basename "$clip"): same words"
      passed=$((passed + 1))
    else
      echo "FAIL $model $(basename "$clip"): ggml <$ours> vs CTranslate2 <$theirs>"
      failed=$((failed + 1))
    fi
  done
done
echo "conversion: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
