#!/usr/bin/python3
"""Converts the small markdown dialect of docs/man/*.md into a roff man page (build tool).

The dialect: a first line "% NAME(SECTION) | MANUAL"; "# HEADING" and "## SUBHEADING";
paragraphs; definition lists ("term" then ": definition", continued by indented lines);
``` fenced blocks; inline `code` (bold), *italic* and **bold**.
Usage: md2man.py INPUT.md OUTPUT VERSION
"""
import re
import sys


def esc(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return text


def inline(text):
    text = esc(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`(.+?)`", r"\\fB\1\\fR", text)
    text = re.sub(r"\*(.+?)\*", r"\\fI\1\\fR", text)
    return text


def line(out, text):
    # a line starting with '.' or "'" would be a request
    if text[:1] in (".", "'"):
        text = "\\&" + text
    out.append(text)


def convert(lines, version):
    head = re.match(r"^% (\S+)\((\d)\) \| (.+)$", lines[0])
    if not head:
        sys.exit("first line must be '% NAME(SECTION) | MANUAL'")
    out = ['.\\" generated from markdown by tools/md2man.py; do not edit',
           '.TH %s %s "" "bpfman %s" "%s"' % (head[1], head[2], version, head[3])]
    i, para = 1, False
    while i < len(lines):
        s = lines[i]
        if s.startswith("```"):
            out.append(".PP\n.nf\n.RS")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                line(out, esc(lines[i]))
                i += 1
            out.append(".RE\n.fi")
            para = False
        elif s.startswith("## "):
            out.append('.SS "%s"' % esc(s[3:]))
            para = False
        elif s.startswith("# "):
            out.append(".SH %s" % esc(s[2:]))
            para = False
        elif not s.strip():
            para = False
        elif i + 1 < len(lines) and lines[i + 1].startswith(": "):
            out.append(".TP")
            line(out, inline(s))
            i += 1
            line(out, inline(lines[i][2:]))
            while i + 1 < len(lines) and lines[i + 1].startswith("  "):
                i += 1
                line(out, inline(lines[i].strip()))
            para = False
        else:
            if not para:
                out.append(".PP")
                para = True
            line(out, inline(s))
        i += 1
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        text = convert(f.read().split("\n"), sys.argv[3])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
