#!/usr/bin/python3
"""Builds a proto3 file mechanically from the tables of section 1 of bpfman-compat.md.

The test suite runs once with stubs generated from the project's own proto and once with
stubs generated from this file. The second run proves that what the server speaks on the wire
is what the contract says, not merely what the project's proto (written by the same people as
the server) says. So this script never reads the project's proto: its only input is the doc.

    gen_from_contract.py [--doc COMPAT.md] --out DIR      writes DIR/bpfman.proto
    gen_from_contract.py [--doc COMPAT.md]                prints the proto
    gen_from_contract.py [--doc COMPAT.md] --write        regenerates the committed copy
    gen_from_contract.py [--doc COMPAT.md] --check        the committed copy is up to date

The doc comes from --doc, else $BPFMAN_COMPAT_DOC, else shared/docs/bpfman-compat.md in the
first ancestor of the repository top that has one (CI lays shared/ beside the clone).

The doc is not part of the repository, so the proto built from it is committed beside this
script (contract/bpfman_contract.proto): a plain clone runs the contract flavour from that
copy. --check compares the copy with the doc when the doc is there and says so when it is
not (exit 0: the copy is what there is to check against), so run.sh can call it always.

What is parsed (anything else in the section is prose and is ignored):
  **service `S`** (package `P`)   rows  | `Rpc` | | `Req` → `Resp` |
  **message `M`**                 rows  | `field` | N | `[optional |repeated ]T` or `map<K,V>` |
                                        | *oneof `o`:* | | |   then   | ↳ `field` | N | `T` |
  **enum `E`**                    rows  | `NAME` | N | enum value |
A message named `Outer.Inner` is emitted nested inside `Outer`.
"""

import argparse
import os
import re
import sys

SCALARS = {
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
}
MAP_KEYS = SCALARS - {"double", "float", "bytes"}

HEADER_RE = re.compile(r"^\*\*(service|message|enum) `([A-Za-z_][A-Za-z0-9_.]*)`\*\*(.*)$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TYPE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class ContractError(Exception):
    pass


class Block:
    """One service, message or enum as written in the doc."""

    def __init__(self, kind, name, line):
        self.kind = kind
        self.name = name
        self.line = line
        # message: list of ("field", label, type, name, number) and ("oneof", name, [fields])
        # enum: list of (name, number); service: list of (rpc, request, response)
        self.items = []


def find_doc(explicit):
    if explicit:
        return explicit
    env = os.environ.get("BPFMAN_COMPAT_DOC")
    if env:
        return env
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    d = top
    while True:
        cand = os.path.join(d, "shared", "docs", "bpfman-compat.md")
        if os.path.isfile(cand):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            raise ContractError("bpfman-compat.md not found above %s; pass --doc or set "
                                "BPFMAN_COMPAT_DOC" % top)
        d = parent


def section_one(lines):
    """(first line number, lines) of '## 1.' up to the next level-2 heading."""
    start = None
    for i, l in enumerate(lines):
        if start is None and re.match(r"^## 1\.", l):
            start = i
        elif start is not None and l.startswith("## "):
            return start, lines[start:i]
    if start is None:
        raise ContractError("no '## 1.' section in the doc")
    return start, lines[start:]


def cells(row):
    parts = [c.strip() for c in row.strip().split("|")]
    # a row starts and ends with '|', which leaves an empty cell at each end
    return parts[1:-1]


def unquote(s, where):
    m = re.fullmatch(r"`([^`]+)`", s)
    if not m:
        raise ContractError("%s: expected a `quoted` name, got %r" % (where, s))
    return m.group(1)


def parse_type(t, where):
    """'optional string' -> ('optional', 'string'); 'map<string,bytes>' -> ('map', (k, v))."""
    t = t.strip()
    m = re.fullmatch(r"map\s*<\s*([A-Za-z0-9_.]+)\s*,\s*([A-Za-z0-9_.]+)\s*>", t)
    if m:
        return "map", (m.group(1), m.group(2))
    label = ""
    for word in ("optional", "repeated"):
        if t.startswith(word + " "):
            label, t = word, t[len(word) + 1:].strip()
    if not TYPE_RE.match(t):
        raise ContractError("%s: bad type %r" % (where, t))
    return label, t


def parse(text):
    lines = text.splitlines()
    first, sect = section_one(lines)
    package = None
    blocks = []
    cur = None  # block whose table is being read
    seen_rows = False
    oneof = None
    for off, raw in enumerate(sect):
        lineno = first + off + 1
        where = "line %d" % lineno
        line = raw.strip()
        h = HEADER_RE.match(line)
        if h:
            cur = Block(h.group(1), h.group(2), lineno)
            blocks.append(cur)
            seen_rows, oneof = False, None
            p = re.search(r"\(package `([A-Za-z0-9_.]+)`\)", h.group(3))
            if p:
                package = p.group(1)
            continue
        if not line.startswith("|"):
            # a table ends at the first line that is not a row; an empty line may
            # separate the header from its table
            if cur is not None and seen_rows:
                cur = None
            continue
        if cur is None:
            continue  # a table of prose (e.g. 1.1)
        c = cells(line)
        if not c or re.fullmatch(r"-+", c[0].replace(":", "")) or c[0] in ("rpc", "field"):
            continue  # header or separator row
        seen_rows = True
        if cur.kind == "service":
            if len(c) != 3:
                raise ContractError("%s: service row needs 3 cells" % where)
            rpc = unquote(c[0], where)
            m = re.fullmatch(r"`([A-Za-z0-9_.]+)`\s*(?:→|->)\s*`([A-Za-z0-9_.]+)`", c[2])
            if not m:
                raise ContractError("%s: expected `Request` → `Response`, got %r" % (where, c[2]))
            cur.items.append((rpc, m.group(1), m.group(2)))
            continue
        if len(c) != 3:
            raise ContractError("%s: row needs 3 cells, got %d" % (where, len(c)))
        if cur.kind == "enum":
            if c[2] != "enum value":
                raise ContractError("%s: enum row type must be 'enum value'" % where)
            cur.items.append((unquote(c[0], where), int(c[1])))
            continue
        o = re.fullmatch(r"\*oneof `([A-Za-z_][A-Za-z0-9_]*)`:\*", c[0])
        if o:
            oneof = ("oneof", o.group(1), [])
            cur.items.append(oneof)
            continue
        member = c[0].startswith("↳")
        name = unquote(c[0].lstrip("↳").strip(), where)
        if not IDENT_RE.match(name):
            raise ContractError("%s: bad field name %r" % (where, name))
        if not re.fullmatch(r"\d+", c[1]):
            raise ContractError("%s: bad field number %r" % (where, c[1]))
        label, typ = parse_type(unquote(c[2], where), where)
        field = ("field", label, typ, name, int(c[1]))
        if member:
            if oneof is None:
                raise ContractError("%s: ↳ row outside a oneof" % where)
            if label:
                raise ContractError("%s: a oneof member cannot be %s" % (where, label))
            oneof[2].append(field)
        else:
            oneof = None
            cur.items.append(field)
    if package is None:
        m = re.search(r"^## 1\..*\(`([A-Za-z0-9_.]+)`\)", sect[0])
        if m:
            package = m.group(1)
    if package is None:
        raise ContractError("no package named in section 1")
    return package, blocks


def check(blocks):
    """Refuses a contract protoc would accept but that is not what was meant (and gives
    a better error than protoc where protoc would refuse)."""
    names = {}
    for b in blocks:
        if b.name in names:
            raise ContractError("%s `%s` defined twice (lines %d and %d)"
                                % (b.kind, b.name, names[b.name].line, b.line))
        names[b.name] = b
    types = {n for n, b in names.items() if b.kind in ("message", "enum")}
    services = [b for b in blocks if b.kind == "service"]
    if len(services) != 1:
        raise ContractError("expected one service, found %d" % len(services))

    def known(t):
        return t in SCALARS or t in types

    for b in blocks:
        where = "%s `%s` (line %d)" % (b.kind, b.name, b.line)
        if b.kind == "service":
            for rpc, req, resp in b.items:
                for t in (req, resp):
                    if t not in types or names[t].kind != "message":
                        raise ContractError("%s: rpc %s uses unknown message %s" % (where, rpc, t))
        elif b.kind == "enum":
            nums = [n for _, n in b.items]
            if not b.items or nums[0] != 0:
                raise ContractError("%s: a proto3 enum's first value must be 0" % where)
            if len(set(nums)) != len(nums):
                raise ContractError("%s: duplicate enum number" % where)
        else:
            if "." in b.name and b.name.rsplit(".", 1)[0] not in names:
                raise ContractError("%s: no outer message %s" % (where, b.name.rsplit(".", 1)[0]))
            fields = []
            for it in b.items:
                fields.extend(it[2] if it[0] == "oneof" else [it])
            nums = [f[4] for f in fields]
            if len(set(nums)) != len(nums):
                raise ContractError("%s: duplicate field number" % where)
            fnames = [f[3] for f in fields]
            if len(set(fnames)) != len(fnames):
                raise ContractError("%s: duplicate field name" % where)
            for _, label, typ, name, num in fields:
                if num < 1 or num > 536870911 or 19000 <= num <= 19999:
                    raise ContractError("%s: field %s: number %d not allowed" % (where, name, num))
                if label == "map":
                    k, v = typ
                    if k not in MAP_KEYS or not known(v):
                        raise ContractError("%s: field %s: bad map<%s,%s>" % (where, name, k, v))
                elif not known(typ):
                    raise ContractError("%s: field %s: unknown type %s" % (where, name, typ))
    return names


def emit(package, blocks, doc_name):
    out = ["// Generated by tests/grpc/gen_from_contract.py from the tables of section 1 of",
           "// %s. Do not edit: regenerate with gen_from_contract.py --write." % doc_name,
           'syntax = "proto3";', "", "package %s;" % package, ""]
    by_name = {b.name: b for b in blocks}
    children = {}
    for b in blocks:
        if "." in b.name:
            children.setdefault(b.name.rsplit(".", 1)[0], []).append(b)

    def field_line(f):
        _, label, typ, name, num = f
        if label == "map":
            typ = "map<%s, %s>" % typ
            label = ""
        return "%s%s %s = %d;" % (label + " " if label else "", typ, name, num)

    def block(b, ind):
        pad = "\t" * ind
        short = b.name.rsplit(".", 1)[-1]
        if b.kind == "service":
            out.append("%sservice %s {" % (pad, short))
            for rpc, req, resp in b.items:
                out.append("%s\trpc %s (%s) returns (%s);" % (pad, rpc, req, resp))
        elif b.kind == "enum":
            out.append("%senum %s {" % (pad, short))
            for name, num in b.items:
                out.append("%s\t%s = %d;" % (pad, name, num))
        else:
            out.append("%smessage %s {" % (pad, short))
            for child in children.get(b.name, []):
                block(child, ind + 1)
            for it in b.items:
                if it[0] == "oneof":
                    out.append("%s\toneof %s {" % (pad, it[1]))
                    for f in it[2]:
                        out.append("%s\t\t%s" % (pad, field_line(f)))
                    out.append("%s\t}" % pad)
                else:
                    out.append("%s\t%s" % (pad, field_line(it)))
        out.append("%s}" % pad)
        if ind == 0:
            out.append("")

    for b in blocks:
        if "." not in b.name:
            block(b, 0)
    assert all(n.rsplit(".", 1)[0] in by_name for n in by_name if "." in n)
    return "\n".join(out)


COMMITTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contract",
                         "bpfman_contract.proto")
COMMITTED_NAME = "tests/grpc/contract/bpfman_contract.proto"


def check_committed(explicit):
    """0 when the committed proto is what the doc gives (or there is no doc to compare
    with), 1 when it differs or is missing."""
    try:
        doc = find_doc(explicit)
    except ContractError as e:
        if not os.path.isfile(COMMITTED):
            print("gen_from_contract: no %s and %s" % (COMMITTED, e), file=sys.stderr)
            return 1
        print("gen_from_contract: %s; using the committed %s as is"
              % (e, COMMITTED_NAME), file=sys.stderr)
        return 0
    with open(doc, encoding="utf-8") as f:
        package, blocks = parse(f.read())
    check(blocks)
    want = emit(package, blocks, os.path.basename(doc))
    try:
        with open(COMMITTED, encoding="utf-8") as f:
            have = f.read()
    except OSError as e:
        print("gen_from_contract: %s" % e, file=sys.stderr)
        return 1
    if have != want:
        print("gen_from_contract: %s differs from what %s gives; regenerate it with "
              "gen_from_contract.py --write" % (COMMITTED_NAME, doc), file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--doc", help="path of bpfman-compat.md")
    ap.add_argument("--out", help="directory to write bpfman.proto into")
    ap.add_argument("--write", action="store_true", help="regenerate the committed proto")
    ap.add_argument("--check", action="store_true",
                    help="check the committed proto against the doc (when the doc is there)")
    args = ap.parse_args()
    try:
        if args.check:
            return check_committed(args.doc)
        doc = find_doc(args.doc)
        with open(doc, encoding="utf-8") as f:
            package, blocks = parse(f.read())
        check(blocks)
        text = emit(package, blocks, os.path.basename(doc))
    except (ContractError, OSError, ValueError) as e:
        print("gen_from_contract: %s" % e, file=sys.stderr)
        return 1
    if args.write:
        with open(COMMITTED, "w", encoding="utf-8") as f:
            f.write(text)
    elif args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "bpfman.proto"), "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
