#!/usr/bin/env python3
"""Build README.rst from the readme/*.md fragments, in the layout of OCA's
generated READMEs: title, summary, description, table of contents, one section
per fragment, credits.

Usage: python3 scripts/build-readme.py [--check]
  --check  do not write; exit 1 if README.rst is not what the fragments give.

The Markdown understood is the simple subset the fragments use: headings,
paragraphs, bullet and numbered lists, fenced code blocks, pipe tables, images
alone on their line, inline code, bold, emphasis, links and <autolinks>.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMEDIR = ROOT / "readme"
TARGET = ROOT / "README.rst"

# (fragment, section title); DESCRIPTION has no title, it follows the summary
SECTIONS = [
    ("CONTEXT.md", "Use Cases / Context"),
    ("INSTALL.md", "Installation"),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("DEVELOP.md", "Development"),
    ("BENCHMARK.md", "Benchmark"),
    ("ROADMAP.md", "Known issues / Roadmap"),
    ("HISTORY.md", "Changelog"),
]
# heading underline characters: sections use "=", credits sub-sections "-"
LEVEL_CHARS = ["=", "-", "~", "^", '"']


def read_manifest():
    path = ROOT / "__manifest__.py"
    if not path.exists():
        return {"name": "Automation Flow", "author": "automation_flow contributors"}
    return ast.literal_eval(path.read_text(encoding="utf-8"))


def heading(title, level):
    return [title, LEVEL_CHARS[level] * len(title), ""]


def inline(text):
    """Markdown inline markup to reStructuredText."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append("``%s``" % part[1:-1])
            continue
        part = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"`\1 <\2>`__", part)
        part = re.sub(r"<((?:https?|mailto):[^>\s]+)>", r"\1", part)
        part = re.sub(r"(?<![\w*])_([^_\s][^_]*)_(?![\w])", r"*\1*", part)
        out.append(part)
    return "".join(out)


def table(lines):
    """A pipe table as a reST list-table, its first row the header."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    rows = [row for row in rows if not all(re.fullmatch(r":?-+:?", c) for c in row)]
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        first, *rest = row
        out.append("   * - " + (inline(first) or "\\"))
        out += ["     - " + (inline(cell) or "\\") for cell in rest]
    return out + [""]


def md_to_rst(text, base_level):
    """Convert one fragment; its "#" headings go below base_level."""
    lines = text.splitlines()
    out = []
    para = []
    i = 0

    def flush():
        if para:
            out.extend(inline(line) for line in para)
            out.append("")
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        fence = re.match(r"^(```+|~~~+)\s*([\w+-]*)\s*$", stripped)
        if fence:
            flush()
            marker, lang = fence.groups()
            out.append(".. code-block:: %s" % (lang or "text"))
            out.append("")
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                out.append(("   " + lines[i]).rstrip())
                i += 1
            out.append("")
            i += 1
            continue
        image = re.match(r"^!\[([^\]]*)\]\(([^)\s]+)\)$", stripped)
        if image:
            flush()
            alt, src = image.groups()
            out += [f".. image:: {src}", f"   :alt: {alt}", ""]
            i += 1
            continue
        if stripped.startswith("|") and stripped.endswith("|"):
            flush()
            end = i
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            out += table(lines[i:end])
            i = end
            continue
        head = re.match(r"^(#{1,5})\s+(.*?)\s*#*\s*$", line)
        if head:
            flush()
            level = min(base_level + len(head.group(1)) - 1, len(LEVEL_CHARS) - 1)
            out.extend(heading(inline(head.group(2)), level))
            i += 1
            continue
        item = re.match(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$", line)
        if item:
            flush()
            indent, bullet, content = item.groups()
            bullet = "-" if bullet in "-*+" else "#."
            prefix = " " * len(indent) + bullet + " "
            body = [content]
            i += 1
            # continuation lines: indented, not a new item, not blank
            while i < len(lines) and lines[i].strip():
                if re.match(r"^\s*([-*+]|\d+[.)])\s+", lines[i]):
                    break
                if not lines[i].startswith(" "):
                    break
                body.append(lines[i].strip())
                i += 1
            out.append(prefix + inline(body[0]))
            out.extend(" " * len(prefix) + inline(b) for b in body[1:])
            # a list ends with a blank line in reST
            if i >= len(lines) or not re.match(
                r"^\s*([-*+]|\d+[.)])\s+", lines[i] or ""
            ):
                out.append("")
            continue
        if not stripped:
            flush()
            i += 1
            continue
        para.append(stripped)
        i += 1
    flush()
    return out


def fragment(name):
    path = READMEDIR / name
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8").strip()
    return text or None


def build():
    manifest = read_manifest()
    name = manifest.get("name", ROOT.name)
    out = ["=" * len(name), name, "=" * len(name), ""]
    out += [
        "..",
        "   !! This file is generated by scripts/build-readme.py from readme/*.md:",
        "   !! edit the fragments, then run `make readme`.",
        "",
    ]
    if manifest.get("summary"):
        out += ["*%s*" % " ".join(manifest["summary"].split()), ""]
    meta = []
    if manifest.get("version"):
        meta.append("Version: %s" % manifest["version"])
    if manifest.get("license"):
        meta.append("License: %s" % manifest["license"])
    if meta:
        out += [" | ".join(meta), ""]
    description = fragment("DESCRIPTION.md")
    if description:
        out += md_to_rst(description, 0)
    out += ["**Table of contents**", "", ".. contents::", "   :local:", ""]
    for filename, title in SECTIONS:
        text = fragment(filename)
        if text:
            out += heading(title, 0)
            out += md_to_rst(text, 1)
    out += heading("Bug Tracker", 0)
    out += [
        "Report bugs and ask for features in the issue tracker of the project's",
        "repository; say which version of the module and of Odoo you use.",
        "",
    ]
    out += heading("Credits", 0)
    out += heading("Authors", 1)
    authors = [a.strip() for a in manifest.get("author", "").split(",") if a.strip()]
    out += ["* %s" % a for a in authors] + [""]
    for filename, title in [
        ("CONTRIBUTORS.md", "Contributors"),
        ("CREDITS.md", "Other credits"),
    ]:
        text = fragment(filename)
        if text:
            out += heading(title, 1)
            out += md_to_rst(text, 2)
    if manifest.get("website"):
        out += heading("Maintainers", 1)
        out += [
            "This module is part of the `%s <%s>`__ project."
            % (name, manifest["website"]),
            "",
        ]
    while out and not out[-1]:
        out.pop()
    return "\n".join(line.rstrip() for line in out) + "\n"


def validate(text):
    """Parse the result with docutils when available; return its complaints."""
    try:
        from docutils.frontend import get_default_settings
        from docutils.parsers.rst import Parser
        from docutils.utils import Reporter, new_document
    except ImportError:
        return []
    messages = []

    def observer(msg):
        if msg["level"] >= Reporter.WARNING_LEVEL:
            messages.append("line %s: %s" % (msg.get("line"), msg.astext()))

    parser = Parser()
    settings = get_default_settings(Parser)
    settings.report_level = 5  # collected by the observer, not printed
    settings.syntax_highlight = "none"
    document = new_document(str(TARGET), settings)
    document.reporter.attach_observer(observer)
    parser.parse(text, document)
    return messages


def main(argv):
    check = "--check" in argv
    text = build()
    errors = validate(text)
    for error in errors:
        print("README.rst: %s" % error, file=sys.stderr)
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if check:
        if current != text:
            print(
                "README.rst is out of date with readme/*.md: run `make readme`",
                file=sys.stderr,
            )
            return 1
        return 1 if errors else 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print("README.rst written")
    else:
        print("README.rst is up to date")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
