"""Builds the bench's interview recording: short answers (3–20 s) separated by pauses, the way a
life-story interview sounds. Real speech (JFK's 1961 excerpt, whole and in parts) and espeak-ng
answers (tests/speech/clips.json), joined with 2–6 s pauses of quiet room noise (-60 dBFS), at
16 kHz mono 16-bit.

usage: make_interview.py JFK.wav CLIPS_DIR OUT.wav
Writes OUT.wav and OUT.txt (the reference transcript).
"""

import json
import random
import struct
import sys
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
JFK_A = "And so my fellow Americans ask not what your country can do for you"
JFK_B = "ask what you can do for your country"


def read(path: Path) -> list:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        data = w.readframes(w.getnframes())
    return list(struct.unpack(f"<{len(data) // 2}h", data))


def main() -> None:
    jfk, clips_dir, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rng = random.Random(1961)
    spec = json.loads((HERE.parent / "tests/speech/clips.json").read_text())
    whole = read(jfk)
    # JFK pauses at 8.0 s: "... for you" | "ask what ...".
    answers = [(whole, f"{JFK_A} {JFK_B}"), (whole[: 8 * 16000], JFK_A), (whole[8 * 16000 :], JFK_B)]
    answers += [(read(clips_dir / f"{c['name']}.wav"), c["text"]) for c in spec["clips"]]
    order = answers + answers[3:5] + answers[:1]
    samples, texts = [], []
    for audio, text in order:
        pause = int(rng.uniform(2.0, 6.0) * 16000)
        samples += [int(rng.gauss(0, 33)) for _ in range(pause)]
        samples += audio
        texts.append(text)
    samples += [int(rng.gauss(0, 33)) for _ in range(3 * 16000)]
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(struct.pack(f"<{len(samples)}h", *[max(-32768, min(32767, s)) for s in samples]))
    out.with_suffix(".txt").write_text(" ".join(texts) + "\n")


if __name__ == "__main__":
    main()
