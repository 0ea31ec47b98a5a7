#!/usr/bin/python3
"""Writes the gRPC API reference (docs/grpc-reference.md) from the .proto files and the
errno <-> status table (src/common/status-errno.c), so the document cannot drift from them.

usage: proto2md.py STATUS_ERRNO_C PROTO... > grpc-reference.md

The parser reads the subset of proto3 these files use: service/rpc, message (nested),
enum, oneof, map<K, V>, optional/repeated fields. A `//` comment directly above an element,
or after it on the same line, is its description; a comment line starting "- " begins a list
item; an empty `//` line separates paragraphs. `/* ... */` comments are section dividers and
are not shown. Anything else is an error: a construct this tool does not know must not
silently vanish from the reference.
"""
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_.]*"
RE_FIELD = re.compile(r"^(optional |repeated )?(" + IDENT + r")\s+(" + IDENT + r")\s*=\s*(\d+)\s*;$")
RE_MAP = re.compile(r"^map<\s*(" + IDENT + r")\s*,\s*(" + IDENT + r")\s*>\s+(" + IDENT + r")\s*=\s*(\d+)\s*;$")
RE_RPC = re.compile(r"^rpc\s+(" + IDENT + r")\s*\(\s*(" + IDENT + r")\s*\)\s*returns\s*\(\s*(" + IDENT + r")\s*\)\s*;$")
RE_ENUMVAL = re.compile(r"^(" + IDENT + r")\s*=\s*(-?\d+)\s*;$")
RE_OPEN = re.compile(r"^(service|message|enum|oneof)\s+(" + IDENT + r")\s*\{\s*(\})?$")


class Node:
    def __init__(self, kind, name, doc, parent=None):
        self.kind, self.name, self.doc, self.parent = kind, name, doc, parent
        self.items = []  # fields, rpcs, enum values, nested nodes, oneofs

    def full(self):
        names = []
        n = self
        while n and n.kind in ("message", "enum"):
            names.append(n.name)
            n = n.parent
        return ".".join(reversed(names))


def fail(path, lineno, msg):
    sys.exit(f"{path}:{lineno}: {msg}")


def parse(path):
    """Returns (package, top-level nodes, leading file comment)."""
    package = None
    top = Node("file", path, [])
    stack = [top]
    doc = []
    file_doc = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_block = False
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if in_block:
            if "*/" in line:
                in_block = False
            continue
        if line.startswith("/*"):
            in_block = "*/" not in line
            doc = []
            continue
        if line.startswith("//"):
            doc.append(line[2:].strip())
            continue
        if not line:
            if file_doc is None and doc:
                file_doc = doc
            doc = []
            continue
        code, _, trailing = line.partition("//")
        code = code.strip()
        this_doc = doc + ([trailing.strip()] if trailing.strip() else [])
        doc = []
        if file_doc is None:
            file_doc = []
        if code.startswith("syntax"):
            continue
        m = re.match(r"^package\s+(" + IDENT + r")\s*;$", code)
        if m:
            package = m.group(1)
            continue
        cur = stack[-1]
        m = RE_OPEN.match(code)
        if m:
            node = Node(m.group(1), m.group(2), this_doc, cur)
            cur.items.append(node)
            if not m.group(3):
                stack.append(node)
            continue
        if code == "}":
            if len(stack) == 1:
                fail(path, lineno, "unbalanced }")
            stack.pop()
            continue
        if cur.kind == "service":
            m = RE_RPC.match(code)
            if not m:
                fail(path, lineno, f"not an rpc: {code}")
            cur.items.append(("rpc", m.group(1), m.group(2), m.group(3), this_doc))
            continue
        if cur.kind == "enum":
            m = RE_ENUMVAL.match(code)
            if not m:
                fail(path, lineno, f"not an enum value: {code}")
            cur.items.append(("value", m.group(1), int(m.group(2)), this_doc))
            continue
        m = RE_MAP.match(code)
        if m and cur.kind in ("message",):
            cur.items.append(("field", m.group(3), f"map<{m.group(1)}, {m.group(2)}>",
                              int(m.group(4)), "", this_doc))
            continue
        m = RE_FIELD.match(code)
        if m and cur.kind in ("message", "oneof"):
            label = (m.group(1) or "").strip()
            if cur.kind == "oneof" and label:
                fail(path, lineno, "a oneof member has no label")
            cur.items.append(("field", m.group(3), m.group(2), int(m.group(4)), label, this_doc))
            continue
        fail(path, lineno, f"unknown construct: {code}")
    if len(stack) != 1:
        fail(path, len(lines), "unclosed {")
    if not package:
        fail(path, 1, "no package")
    undocumented(path, top)
    return package, top.items, file_doc or []


def undocumented(path, node, where=""):
    """Every message, enum, service, rpc, field and value needs a description: the
    reference would otherwise show an empty meaning."""
    missing = []
    for it in node.items:
        if isinstance(it, Node):
            name = where + it.name
            if not it.doc and it.kind != "oneof":
                missing.append(name)
            missing += undocumented(path, it, name + ".") or []
        elif not it[-1]:
            missing.append(where + it[1])
    if where:
        return missing
    if missing:
        sys.exit(f"{path}: no comment for: " + ", ".join(missing))


def render_doc(doc, inline=False):
    """Comment lines -> markdown. inline: one table cell (no line breaks)."""
    paras, items, cur = [], [], []
    for line in doc + [""]:
        if line.startswith("- "):
            if cur:
                (items if items else paras).append(" ".join(cur))
                cur = []
            if not items:
                items.append(None)
            cur = [line[2:]]
        elif line == "":
            if cur:
                (items if items else paras).append(" ".join(cur))
            cur = []
        else:
            cur.append(line)
    items = [i for i in items if i is not None]
    text = [p for p in paras]
    if inline:
        return " ".join(text + ["• " + i for i in items]).replace("|", "\\|")
    out = "\n\n".join(text)
    if items:
        out += ("\n\n" if out else "") + "\n".join("- " + i for i in items)
    return out


class Doc:
    def __init__(self):
        self.out = []
        self.types = {}  # full name -> anchor

    def w(self, s=""):
        self.out.append(s)

    def anchor(self, package, full):
        return (package + "." + full).lower().replace(".", "-")

    def index(self, package, nodes):
        for n in nodes:
            if isinstance(n, Node) and n.kind in ("message", "enum"):
                self.types[package + "." + n.full()] = self.anchor(package, n.full())
                self.index(package, n.items)

    def type_ref(self, package, scope, t):
        """A field's type as a link when it names a message or enum of these files."""
        if t.startswith("map<"):
            k, v = t[4:-1].split(", ")
            return f"map<{k}, {self.type_ref(package, scope, v)}>"
        # proto scoping: innermost enclosing message first, then the package
        while True:
            cand = package + "." + (scope + "." if scope else "") + t
            if cand in self.types:
                return f"[`{t}`](#{self.types[cand]})"
            if not scope:
                break
            scope = scope.rpartition(".")[0]
        if t in self.types:
            return f"[`{t}`](#{self.types[t]})"
        return f"`{t}`"

    def message(self, package, n, level):
        full = n.full()
        self.w(f'<a id="{self.anchor(package, full)}"></a>')
        self.w(f"{'#' * level} {n.kind} `{full}`")
        self.w()
        if n.doc:
            self.w(render_doc(n.doc))
            self.w()
        rows = []
        for it in n.items:
            if isinstance(it, Node) and it.kind == "oneof":
                d = render_doc(it.doc, True)
                rows.append(f"| *oneof `{it.name}`* | | | {d or 'at most one of:'} |")
                for f in it.items:
                    _, name, t, num, _, fdoc = f
                    rows.append(f"| ↳ `{name}` | {num} | {self.type_ref(package, full, t)} | "
                                f"{render_doc(fdoc, True)} |")
            elif isinstance(it, tuple):
                _, name, t, num, label, fdoc = it
                tref = self.type_ref(package, full, t)
                if label:
                    tref = f"{label} {tref}"
                rows.append(f"| `{name}` | {num} | {tref} | {render_doc(fdoc, True)} |")
        if rows:
            self.w("| field | no. | type | meaning |")
            self.w("|---|---|---|---|")
            for r in rows:
                self.w(r)
        else:
            self.w("No fields.")
        self.w()
        for it in n.items:
            if isinstance(it, Node) and it.kind in ("message", "enum"):
                (self.message if it.kind == "message" else self.enum)(package, it, level)

    def enum(self, package, n, level):
        full = n.full()
        self.w(f'<a id="{self.anchor(package, full)}"></a>')
        self.w(f"{'#' * level} enum `{full}`")
        self.w()
        if n.doc:
            self.w(render_doc(n.doc))
            self.w()
        self.w("| name | value | meaning |")
        self.w("|---|---|---|")
        for _, name, num, vdoc in n.items:
            self.w(f"| `{name}` | {num} | {render_doc(vdoc, True)} |")
        self.w()

    def service(self, package, n):
        self.w(f"### service `{package}.{n.name}`")
        self.w()
        if n.doc:
            self.w(render_doc(n.doc))
            self.w()
        self.w("| method | request → response |")
        self.w("|---|---|")
        for _, name, req, resp, _ in n.items:
            self.w(f"| [`{name}`](#{self.anchor(package, n.name + '.' + name)}) | "
                   f"{self.type_ref(package, '', req)} → {self.type_ref(package, '', resp)} |")
        self.w()
        for _, name, req, resp, doc in n.items:
            self.w(f'<a id="{self.anchor(package, n.name + "." + name)}"></a>')
            self.w(f"#### `{name}`: {self.type_ref(package, '', req)} → "
                   f"{self.type_ref(package, '', resp)}")
            self.w()
            self.w(f"Path `/{package}.{n.name}/{name}`.")
            self.w()
            if doc:
                self.w(render_doc(doc))
                self.w()


STATUS_NAMES = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
    "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}


def status_table(path):
    """{ ERRNO, GRPC_STATUS_X, canonical }, /* why */ rows of status-errno.c, in order."""
    rows = []
    text = open(path, encoding="utf-8").read()
    pat = re.compile(r"\{\s*(E[A-Z0-9]+)\s*,\s*GRPC_STATUS_([A-Z_]+)\s*,\s*([01])\s*\}\s*,"
                     r"[ \t]*(?:/\*\s*(.*?)\s*\*/)?")
    for m in pat.finditer(text):
        if m.group(2) not in STATUS_NAMES:
            sys.exit(f"{path}: unknown status {m.group(2)}")
        rows.append((m.group(1), m.group(2), m.group(3) == "1", m.group(4) or ""))
    if not rows:
        sys.exit(f"{path}: no table rows found")
    return rows


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = status_table(sys.argv[1])
    files = [(p,) + parse(p) for p in sys.argv[2:]]
    d = Doc()
    for _, package, nodes, _ in files:
        d.index(package, nodes)
    w = d.w
    w("<!-- Generated by tools/proto2md.py from " + ", ".join(
        "proto/" + p.rsplit("/", 1)[-1] for p, *_ in files)
      + " and src/common/status-errno.c; do not edit: edit the comments there. -->")
    w("# gRPC API reference")
    w()
    w("The server `bpfman-rpc` answers gRPC (plaintext HTTP/2) on a Unix socket, by default "
      "`/run/bpfman-sock/bpfman.sock` (mode 0660; clients dial "
      "`unix:///run/bpfman-sock/bpfman.sock`). Two services:")
    w()
    for p, package, nodes, _ in files:
        for n in nodes:
            if isinstance(n, Node) and n.kind == "service":
                w(f"- [`{package}.{n.name}`](#{package.replace('.', '')}) "
                  f"(`proto/{p.rsplit('/', 1)[-1]}`)")
    w()
    w("This page is generated from the `.proto` files and the server's errno → status table "
      "(`ninja -C build docs/grpc-reference.md`; the unit test `grpc-reference-is-generated` "
      "fails when the committed copy differs).")
    w()
    w("## Status codes")
    w()
    w("The reference implementation answers every failure with `ABORTED` and a text; this "
      "one gives the status code that says what went wrong and keeps the reference's phrases "
      "in the message (\"does not exist\", \"No room to attach program\"), so clients that "
      "match the text keep working. The server's errors are errnos inside; each maps to one "
      "status, and a client of this project's library reads the canonical errno back.")
    w()
    w("| status | code | from errno | canonical errno |")
    w("|---|---|---|---|")
    by_status = {}
    for err, st, canon, why in rows:
        by_status.setdefault(st, []).append((err, canon, why))
    for st in sorted(by_status, key=lambda s: STATUS_NAMES[s]):
        errs = ", ".join(f"`{e}`" + (f" — {why}" if why else "") for e, _, why in by_status[st])
        canon = [e for e, c, _ in by_status[st] if c]
        w(f"| `{st}` | {STATUS_NAMES[st]} | {errs} | {', '.join('`' + c + '`' for c in canon)} |")
    w()
    w("Any other errno is `INTERNAL`. Besides the errors each method lists:")
    w()
    w("- `INVALID_ARGUMENT`: a request that does not decode, or no request message.")
    w("- `UNIMPLEMENTED`: a method this server does not have.")
    w("- `RESOURCE_EXHAUSTED`: too many connections (at most 64, 16 per process), or no "
      "memory left to build the answer.")
    w("- `UNAVAILABLE`: the server cannot open its state.")
    w("- `CANCELLED` / `DEADLINE_EXCEEDED`: the client cancelled the call or its deadline "
      "passed; a changing call checks this right before it commits and then changes nothing.")
    w()
    for p, package, nodes, file_doc in files:
        w(f'<a id="{package.replace(".", "")}"></a>')
        w(f"## package `{package}` (`proto/{p.rsplit('/', 1)[-1]}`)")
        w()
        if file_doc:
            w(render_doc(file_doc))
            w()
        for n in nodes:
            if isinstance(n, Node) and n.kind == "service":
                d.service(package, n)
        w("### Messages")
        w()
        for n in sorted((n for n in nodes if isinstance(n, Node) and n.kind == "message"),
                        key=lambda n: n.name):
            d.message(package, n, 4)
        enums = [n for n in nodes if isinstance(n, Node) and n.kind == "enum"]
        if enums:
            w("### Enums")
            w()
            for n in enums:
                d.enum(package, n, 4)
    text = "\n".join(d.out).rstrip("\n") + "\n"
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
