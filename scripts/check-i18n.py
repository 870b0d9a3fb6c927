#!/usr/bin/env python3
"""Check that the translations are current.

    check-i18n.py [--fresh FRESH.pot]

Fails when i18n/es.po lacks a translation of a msgid of
i18n/automation_flow.pot, or, with --fresh (a template just exported from a
database with the module installed), when the committed template misses or
keeps strings the code no longer has. `make pot` then re-exports the template;
add the missing Spanish to i18n/es.po.
"""

import argparse
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "i18n" / "automation_flow.pot"
LANGUAGES = ("es",)


def msgids(catalog):
    return {(entry.msgctxt, entry.msgid) for entry in catalog if entry.msgid}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", type=Path, help="a template exported just now")
    args = parser.parse_args()
    problems = []
    template = msgids(polib.pofile(str(POT)))
    if args.fresh:
        fresh = msgids(polib.pofile(str(args.fresh)))
        for msgid in sorted(fresh - template, key=str)[:20]:
            problems.append(f"not in {POT.name}: {msgid[1]!r}")
        for msgid in sorted(template - fresh, key=str)[:20]:
            problems.append(f"no longer in the code, still in {POT.name}: {msgid[1]!r}")
        if fresh != template:
            problems.append("the template is out of date: run `make pot`")
    for language in LANGUAGES:
        po_path = POT.with_name(f"{language}.po")
        translated = {
            (entry.msgctxt, entry.msgid)
            for entry in polib.pofile(str(po_path))
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
        }
        missing = sorted(template - translated, key=str)
        for msgid in missing[:20]:
            problems.append(f"{po_path.name}: no translation of {msgid[1]!r}")
        if missing:
            problems.append(f"{po_path.name}: {len(missing)} string(s) to translate")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"i18n: {len(template)} strings, translated in {', '.join(LANGUAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
