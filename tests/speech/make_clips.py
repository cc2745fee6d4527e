"""Speaks tests/speech/clips.json with espeak-ng and resamples with sox to 16 kHz mono 16-bit.

usage: make_clips.py OUT_DIR
Writes OUT_DIR/<name>.wav for every clip and OUT_DIR/names.wav; idempotent.
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def speak(out: Path, voice: str, speed: int, text: str) -> None:
    if out.is_file():
        return
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True)
    raw.unlink()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    spec = json.loads((HERE / "clips.json").read_text())
    for clip in spec["clips"]:
        speak(out / f"{clip['name']}.wav", clip["voice"], clip["speed"], clip["text"])
    names = spec["names"]
    speak(out / "names.wav", names["voice"], names["speed"], names["text"])


if __name__ == "__main__":
    main()
