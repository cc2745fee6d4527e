"""Runs the speech bench (bench/speech.sh does the building) and prints the tables."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ["HEIRLOOM_MODELS"])
TINY = (MODELS / "whisper-tiny.en-ct2/ggml-tiny.en.bin", MODELS / "whisper-tiny.en-ct2")
BASE = (MODELS / "whisper-base-ct2/ggml-base.bin", MODELS / "whisper-base-ct2")


def words(text: str) -> list:
    out = []
    for w in text.split():
        w = "".join(c for c in w if c.isalnum() or c == "'").lower()
        if w:
            out.append(w)
    return out


def wer(ref: str, hyp: str) -> float:
    r, h = words(ref), words(hyp)
    prev = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        cur = [i] + [0] * len(h)
        for j in range(1, len(h) + 1):
            cur[j] = min(prev[j - 1] + (r[i - 1] != h[j - 1]), prev[j] + 1, cur[j - 1] + 1)
        prev = cur
    return prev[len(h)] / max(1, len(r))


def run(cmd: list) -> dict:
    """Runs a peer; returns its JSON line plus peak RSS (KiB) from /usr/bin/time."""
    out = subprocess.run(["/usr/bin/time", "-f", "RSS %M"] + [str(c) for c in cmd], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    doc["rss_kib"] = int(next(l for l in out.stderr.splitlines() if l.startswith("RSS ")).split()[1])
    return doc


def best(cmd: list, runs: int) -> dict:
    results = [run(cmd) for _ in range(runs)]
    return min(results, key=lambda d: d["cpu_s"])


def seconds(wav: Path) -> float:
    import wave
    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def main() -> None:
    work, core, ref, threads, runs = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    fw = [sys.executable, ROOT / "bench/fw.py"]
    clips = json.loads((ROOT / "tests/speech/clips.json").read_text())
    jfk_text = "And so my fellow Americans ask not what your country can do for you ask what you can do for your country"
    cases = [("jfk", MODELS / "samples/jfk.wav", jfk_text)]
    cases += [(c["name"], work / "clips" / f"{c['name']}.wav", c["text"]) for c in clips["clips"][:2]]
    print(f"speech bench: {threads} thread(s), least CPU of {runs} runs; CPU s per audio s (lower is better)\n")
    print("core: the core as shipped (voice-activity stage, audio context shrunk to the chunk);")
    print("core-30: the core decoding full 30 s windows, as whisper.cpp and faster-whisper do\n")
    print(f"{'model':8} {'clip':9} {'audio s':>7} | {'core':>6} {'core-30':>7} {'wcpp':>6} {'f-w':>6} | {'core/wcpp':>9} {'core/f-w':>8} {'c30/wcpp':>8} | WER core c30 wcpp f-w | c30 words = f-w")
    for model_name, (ggml, ct2), lang in (("tiny.en", TINY, "en"), ("base", BASE, "en")):
        for name, wav, text in cases:
            secs = seconds(wav)
            c = best([core, ggml, wav, "--threads", threads, "--language", lang], runs)
            c30 = best([core, ggml, wav, "--threads", threads, "--language", lang, "--full-ctx"], runs)
            w = best([ref, ggml, wav, threads], runs)
            f = best(fw + [ct2, wav, threads, lang], runs)
            same = words(c30["text"]) == words(f["text"])
            print(f"{model_name:8} {name:9} {secs:7.1f} | {c['cpu_s']/secs:6.3f} {c30['cpu_s']/secs:7.3f} {w['cpu_s']/secs:6.3f} {f['cpu_s']/secs:6.3f} | "
                  f"{c['cpu_s']/w['cpu_s']:9.2f} {c['cpu_s']/f['cpu_s']:8.2f} {c30['cpu_s']/w['cpu_s']:8.2f} | "
                  f"{wer(text, c['text']):.2f} {wer(text, c30['text']):.2f} {wer(text, w['text']):.2f} {wer(text, f['text']):.2f} | {'yes' if same else 'NO'}")
        print(f"{'':8} load s: core {c['load_s']:.2f}, whisper.cpp {w['load_s']:.2f}, faster-whisper {f['load_s']:.2f}; "
              f"peak RSS MiB: core {c['rss_kib']/1024:.0f}, whisper.cpp {w['rss_kib']/1024:.0f}, faster-whisper {f['rss_kib']/1024:.0f}")

    wav = work / "interview.wav"
    text = (work / "interview.txt").read_text()
    secs = seconds(wav)
    print(f"\ninterview recording: {secs:.0f} s, short answers between pauses (tiny.en)")
    w = best([ref, TINY[0], wav, threads], runs)
    rows = [("whisper.cpp (whole file)", w)]
    rows.append(("core (VAD + shrunk ctx)", best([core, TINY[0], wav, "--threads", threads], runs)))
    rows.append(("core, VAD, full ctx", best([core, TINY[0], wav, "--threads", threads, "--full-ctx"], runs)))
    rows.append(("core, no VAD, full ctx", best([core, TINY[0], wav, "--threads", threads, "--no-vad", "--full-ctx"], runs)))
    for label, d in rows:
        print(f"  {label:26} CPU {d['cpu_s']:6.2f} s  {d['cpu_s']/secs:.3f} s/s  ratio to whisper.cpp {d['cpu_s']/w['cpu_s']:.2f}  WER {wer(text, d['text']):.3f}")


if __name__ == "__main__":
    main()
