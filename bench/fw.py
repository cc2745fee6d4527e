"""faster-whisper on the original CTranslate2 weights, for bench/speech.sh and the conversion proof.

usage: fw.py CT2_DIR WAV THREADS [LANGUAGE]
Prints one JSON line: text, and the CPU seconds (process time, all threads) of transcription,
the wall time and the model load time; the fields examples/transcribe.rs prints for the core.
Greedy decoding (beam 1) with the default temperature fallback, as whisper.cpp's defaults do.
"""

import json
import sys
import time

from faster_whisper import WhisperModel


def main() -> None:
    ct2_dir, wav, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    started = time.time()
    model = WhisperModel(ct2_dir, device="cpu", compute_type="float32", cpu_threads=threads, num_workers=1)
    load_s = time.time() - started
    cpu0, wall0 = time.process_time(), time.time()
    language = sys.argv[4] if len(sys.argv) > 4 else None
    segments, info = model.transcribe(wav, beam_size=1, best_of=1, vad_filter=False, language=language)
    text = " ".join(s.text.strip() for s in segments)
    cpu_s, wall_s = time.process_time() - cpu0, time.time() - wall0
    print(json.dumps({"text": text, "cpu_s": cpu_s, "wall_s": wall_s, "load_s": load_s, "language": info.language}))


if __name__ == "__main__":
    main()
