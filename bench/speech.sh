#!/usr/bin/env bash
# Speech benchmark: CPU seconds per audio second of
#   (a) the core (examples/transcribe.rs: VAD, chunking, whisper-rs),
#   (b) whisper.cpp's own C API driven like its CLI (bench/ref_cli.cpp), built here from the
#       whisper.cpp source vendored in the whisper-rs-sys crate (the cargo registry copy; nothing
#       of it is committed) with the same ggml settings as .cargo/config.toml,
#   (c) faster-whisper on the original CTranslate2 weights,
# on the same clips and models, in one run, each measured RUNS times (the least CPU kept), and
# prints the ratios. Then the interview recording (short answers between pauses): the core with
# its voice-activity stage, with and without shrinking the audio context, against (b) at WER.
# Also model load time and peak RSS per model. Threads: BENCH_THREADS (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/env.sh
scripts/setup >/dev/null
threads=${BENCH_THREADS:-1}
runs=${BENCH_RUNS:-3}
work=$HEIRLOOM_CACHE/bench-speech
mkdir -p "$work"

# Peers.
venv=$HEIRLOOM_CACHE/speech-venv
if ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r bench/requirements-speech.txt
fi
src=$(cargo metadata --format-version 1 --locked 2>/dev/null | python3 -c '
import json, sys, os
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "whisper-rs-sys":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "whisper.cpp"))')
ref=$work/ref
mkdir -p "$ref"
if [ ! -x "$ref/ref_cli" ] || [ bench/ref_cli.cpp -nt "$ref/ref_cli" ]; then
  echo "bench: building whisper.cpp (Release, GGML_NATIVE=OFF, GGML_LLAMAFILE=ON) from $src"
  cmake -S "$src" -B "$ref/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF -DGGML_LLAMAFILE=ON -DGGML_OPENMP=OFF -DWHISPER_BUILD_TESTS=OFF \
    -DWHISPER_BUILD_EXAMPLES=OFF >"$ref/cmake.log" 2>&1
  cmake --build "$ref/build" -j2 >"$ref/build.log" 2>&1
  g++ -O2 -std=c++17 -I"$src/include" -I"$src/ggml/include" bench/ref_cli.cpp \
    "$ref/build/src/libwhisper.a" "$ref/build/ggml/src/libggml.a" \
    "$ref/build/ggml/src/libggml-cpu.a" "$ref/build/ggml/src/libggml-base.a" -lpthread \
    -o "$ref/ref_cli"
fi
cargo build --release --quiet --example transcribe -p heirloom-core
core=$CARGO_TARGET_DIR/release/examples/transcribe

# Clips.
python3 tests/speech/make_clips.py "$work/clips"
python3 bench/make_interview.py "$HEIRLOOM_MODELS/samples/jfk.wav" "$work/clips" "$work/interview.wav"

exec "$venv/bin/python" bench/speech_report.py "$work" "$core" "$ref/ref_cli" "$threads" "$runs"
