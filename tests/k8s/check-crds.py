#!/usr/bin/python3
"""Checks the bpfman.io CRD files without a cluster: each is the YAML tools/k8s-crds.py
writes, names the kind, plural, scope and printer columns the contract gives (bpfman-k8s.md
sections 1.1 and 2, with the column fixes said in the files), has a status subresource and a
structural schema (every node typed, defaults within their enums, CEL fieldPaths naming
declared fields), and every sample parses and names a known kind.

usage: check-crds.py SOURCE-ROOT     exit 0 = pass, 1 = fail, 77 = skip (no PyYAML)
"""
import os
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml (PyYAML) is not installed")
    sys.exit(77)

S = ".status.conditions[0].reason"
AGE = ("Age", ".metadata.creationTimestamp", 0)
APP = [("NodeSelector", ".spec.nodeSelector", 0), ("Status", S, 0), AGE]
STATE = [("Node", ".status.node", 0), ("Status", S, 0), AGE]
G1 = [("BpfFunctionName", ".spec.bpffunctionname", 0), ("NodeSelector", ".spec.nodeselector", 0),
      ("Status", S, 0)]
FN = ("FunctionName", ".spec.func_name", 1)
OFF = ("Offset", ".spec.offset", 1)
RET = ("RetProbe", ".spec.retprobe", 1)
PRIO = ("Priority", ".spec.priority", 1)
IFSEL = ("InterfaceSelector", ".spec.interfaceselector", 1)
PON = ("ProceedOn", ".spec.proceedon", 1)

# kind: (plural, scope, printer columns (name, jsonPath, priority))
EXPECTED = {
    "ClusterBpfApplication": ("clusterbpfapplications", "Cluster", APP),
    "BpfApplication": ("bpfapplications", "Namespaced", APP),
    "ClusterBpfApplicationState": ("clusterbpfapplicationstates", "Cluster", STATE),
    "BpfApplicationState": ("bpfapplicationstates", "Namespaced", STATE),
    "Config": ("configs", "Cluster", [AGE]),
    "XdpProgram": ("xdpprograms", "Cluster", G1 + [PRIO, IFSEL, PON]),
    "TcProgram": ("tcprograms", "Cluster",
                  G1 + [PRIO, ("Direction", ".spec.direction", 1), IFSEL, PON]),
    "TracepointProgram": ("tracepointprograms", "Cluster",
                          G1 + [("TracePoint", ".spec.names", 1)]),
    "KprobeProgram": ("kprobeprograms", "Cluster", G1 + [FN, OFF, RET]),
    "UprobeProgram": ("uprobeprograms", "Cluster",
                      G1 + [FN, OFF, ("Target", ".spec.target", 1), RET, ("Pid", ".spec.pid", 1)]),
    "FentryProgram": ("fentryprograms", "Cluster", G1 + [FN]),
    "FexitProgram": ("fexitprograms", "Cluster", G1 + [FN]),
    "BpfProgram": ("bpfprograms", "Cluster", [("Type", ".spec.type", 0), ("Status", S, 0), AGE]),
}
# the CEL rule "member T required iff type == T" on each program of the application kinds
MEMBERS = {
    "ClusterBpfApplication": ["xdp", "tc", "tcx", "fentry", "fexit", "kprobe", "kretprobe",
                              "uprobe", "uretprobe", "tracepoint"],
    "BpfApplication": ["xdp", "tc", "tcx", "uprobe", "uretprobe"],
}

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def walk(where, node, path="$"):
    """structural schema: every node typed; defaults in their enums; CEL fieldPaths declared"""
    if not isinstance(node, dict):
        err(where, f"{path}: schema node is not a mapping")
        return
    if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields") \
            and not node.get("x-kubernetes-int-or-string"):
        err(where, f"{path}: no type")
    if "enum" in node and "default" in node and node["default"] not in node["enum"]:
        err(where, f"{path}: default {node['default']!r} not in its enum")
    if node.get("type") == "array" and "default" in node and "enum" in node.get("items", {}):
        for v in node["default"]:
            if v not in node["items"]["enum"]:
                err(where, f"{path}: default item {v!r} not in the items' enum")
    for r in node.get("x-kubernetes-validations", []):
        if "rule" not in r or "message" not in r:
            err(where, f"{path}: CEL rule without rule or message")
        fp = r.get("fieldPath")
        if fp and fp.lstrip(".").split(".")[0] not in node.get("properties", {}):
            err(where, f"{path}: fieldPath {fp} names no declared field")
    for k, v in node.get("properties", {}).items():
        walk(where, v, f"{path}.{k}")
    if isinstance(node.get("items"), dict):
        walk(where, node["items"], path + "[]")
    if isinstance(node.get("additionalProperties"), dict):
        walk(where, node["additionalProperties"], path + "{}")


def find(node, *keys):
    for k in keys:
        node = node["properties"][k] if k != "[]" else node["items"]
    return node


def check_crd(path, doc):
    where = os.path.basename(path)
    if doc.get("apiVersion") != "apiextensions.k8s.io/v1" or doc.get("kind") != "CustomResourceDefinition":
        err(where, "not an apiextensions.k8s.io/v1 CustomResourceDefinition")
        return None
    spec = doc["spec"]
    kind = spec["names"]["kind"]
    if kind not in EXPECTED:
        err(where, f"unexpected kind {kind}")
        return None
    plural, scope, columns = EXPECTED[kind]
    if doc["metadata"]["name"] != f"{plural}.bpfman.io":
        err(where, f"metadata.name {doc['metadata']['name']}, want {plural}.bpfman.io")
    if where != f"bpfman.io_{plural}.yaml":
        err(where, f"file name, want bpfman.io_{plural}.yaml")
    if spec["group"] != "bpfman.io":
        err(where, f"group {spec['group']}")
    want_names = {"kind": kind, "listKind": kind + "List", "plural": plural,
                  "singular": kind.lower()}
    if spec["names"] != want_names:
        err(where, f"names {spec['names']}, want {want_names} (no short names, no categories)")
    if spec["scope"] != scope:
        err(where, f"scope {spec['scope']}, want {scope}")
    if len(spec["versions"]) != 1:
        err(where, "want exactly one version")
    v = spec["versions"][0]
    if (v["name"], v["served"], v["storage"]) != ("v1alpha1", True, True):
        err(where, "version must be v1alpha1, served, storage")
    if v.get("subresources") != {"status": {}}:
        err(where, f"subresources {v.get('subresources')}, want status only")
    got = [(c["name"], c["jsonPath"], c.get("priority", 0)) for c in v.get("additionalPrinterColumns", [])]
    if got != columns:
        err(where, f"printer columns {got}, want {columns}")
    schema = v["schema"]["openAPIV3Schema"]
    walk(where, schema)
    if "status" not in schema["properties"]:
        err(where, "no status in the schema")
    if "State" in kind and "spec" in schema["properties"]:
        err(where, "State kinds have no spec")
    if kind in MEMBERS:
        prog = find(schema, "spec", "programs", "[]")
        rules = prog.get("x-kubernetes-validations", [])
        want = MEMBERS[kind]
        if [r.get("fieldPath") for r in rules] != ["." + m for m in want]:
            err(where, f"program member rules {[r.get('fieldPath') for r in rules]}, want {want}")
        for m, r in zip(want, rules):
            if not r["message"].startswith(f"{m} configuration is required when type is ") or \
                    not r["message"].endswith(", and forbidden otherwise"):
                err(where, f"rule for {m}: message {r['message']!r}")
            if f"has(self.{m})" not in r["rule"]:
                err(where, f"rule for {m}: {r['rule']!r}")
        types = set(prog["properties"]["type"]["enum"])
        if len(types) != len(want):
            err(where, f"type enum {sorted(types)} does not match the members {want}")
        bc = find(schema, "spec", "byteCode")
        if (bc.get("minProperties"), bc.get("maxProperties")) != (1, 1):
            err(where, "byteCode must hold exactly one of image, path")
        if find(schema, "spec", "programs").get("minItems") != 1:
            err(where, "programs needs minItems 1")
    if kind == "KprobeProgram":
        msgs = [r["message"] for r in find(schema, "spec").get("x-kubernetes-validations", [])]
        if "offset cannot be set for kretprobes" not in msgs:
            err(where, "no kretprobe offset rule")
    return kind


def main(top):
    crd_dir = os.path.join(top, "dist", "k8s", "crds")
    seen = set()
    for name in sorted(os.listdir(crd_dir)):
        path = os.path.join(crd_dir, name)
        with open(path, encoding="utf-8") as f:
            try:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                err(name, f"not YAML: {e}")
                continue
        for d in docs:
            if d.get("kind") == "CustomResourceDefinition":
                k = check_crd(path, d)
                if k in seen:
                    err(name, f"{k} defined twice")
                seen.add(k)
            elif d.get("apiVersion") != "admissionregistration.k8s.io/v1":
                err(name, f"unexpected {d.get('apiVersion')} {d.get('kind')}")
    for k in sorted(set(EXPECTED) - seen):
        err(crd_dir, f"no CRD for {k}")
    sample_dir = os.path.join(top, "dist", "k8s", "samples")
    for name in sorted(os.listdir(sample_dir)):
        with open(os.path.join(sample_dir, name), encoding="utf-8") as f:
            try:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                err(name, f"not YAML: {e}")
                continue
        for d in docs:
            if d.get("apiVersion") == "bpfman.io/v1alpha1" and d.get("kind") not in EXPECTED:
                err(name, f"unknown kind {d.get('kind')}")
            if not d.get("metadata", {}).get("name"):
                err(name, "a document without metadata.name")
    gen = subprocess.run([sys.executable, os.path.join(top, "tools", "k8s-crds.py"), "--check",
                          crd_dir], capture_output=True, text=True)
    if gen.returncode != 0:
        err("tools/k8s-crds.py --check", gen.stderr.strip() or f"exit {gen.returncode}")
    for e in errors:
        print("FAIL:", e)
    if not errors:
        print(f"ok: {len(seen)} CRDs, samples parse")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
