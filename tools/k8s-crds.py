#!/usr/bin/python3
"""Writes the bpfman.io CustomResourceDefinitions (dist/k8s/crds/*.yaml) from the tables of
the Kubernetes contract (docs section numbers below), so the parts the kinds share (label
selectors, conditions, the link schemas of the cluster and the namespaced application, the
fields every first-generation kind has) are written once and cannot drift apart.

usage: k8s-crds.py DIR          write every CRD into DIR
       k8s-crds.py --check DIR  exit 1 (naming the file) if a file in DIR differs from what
                                this would write: tests/k8s/test-crds.sh runs it

Needs PyYAML (Debian: python3-yaml). Edit this file, not the YAML, and re-run it.
"""
import os
import sys

import yaml

GROUP = "bpfman.io"
VERSION = "v1alpha1"

# ---- building blocks ----


def node(type_, kw, **fixed):
    """a schema node: its description first, then its type, then the rest"""
    n = {"description": kw.pop("description")} if "description" in kw else {}
    n["type"] = type_
    n.update(fixed)
    n.update(kw)
    return n


def string(**kw):
    return node("string", kw)


def boolean(**kw):
    return node("boolean", kw)


def int32(**kw):
    return node("integer", kw, format="int32")


def int64(**kw):
    return node("integer", kw, format="int64")


def uint32(**kw):
    # the daemon's ids are unsigned 32-bit; link ids are often above 2^31
    return node("integer", kw, format="int64", minimum=0, maximum=4294967295)


def enum(values, **kw):
    return node("string", kw, enum=list(values))


def array(items, **kw):
    n = node("array", kw)
    n["items"] = items
    return n


def obj(props, required=(), rules=(), desc=None, **kw):
    o = {}
    if desc:
        o["description"] = desc
    o["type"] = "object"
    if required:
        o["required"] = list(required)
    o.update(kw)
    if rules:
        o["x-kubernetes-validations"] = list(rules)
    o["properties"] = props
    return o


def rule(expr, message, field=None):
    r = {"rule": expr}
    if field:
        r["fieldPath"] = field
    r["message"] = message
    return r


def byte_map(desc):
    # Go's map[string][]byte: base64 strings
    return {"description": desc, "type": "object",
            "additionalProperties": {"type": "string", "format": "byte"}}


def string_map():
    return {"type": "object", "additionalProperties": {"type": "string"}}


def label_selector(desc=None, labels_only=False):
    props = {"matchLabels": string_map()}
    if not labels_only:
        props["matchExpressions"] = array(
            obj({"key": string(), "operator": string(),
                 "values": array(string(), **{"x-kubernetes-list-type": "atomic"})},
                required=["key", "operator"]),
            **{"x-kubernetes-list-type": "atomic"})
    return obj(props, desc=desc, **{"x-kubernetes-map-type": "atomic"})


# metav1.Condition, with the API's own limits: a reason must be CamelCase-like (no spaces)
CONDITION = obj({
    "type": string(maxLength=316, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"),
    "status": enum(["True", "False", "Unknown"]),
    "observedGeneration": int64(minimum=0),
    "lastTransitionTime": string(format="date-time"),
    "reason": string(minLength=1, maxLength=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"),
    "message": string(maxLength=32768),
}, required=["type", "status", "lastTransitionTime", "reason", "message"])


def conditions(desc):
    return array(CONDITION, description=desc,
                 **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]})


def column(name, path, type_="string", desc=None, wide=False):
    c = {"name": name, "type": type_, "jsonPath": path}
    if desc:
        c["description"] = desc
    if wide:
        c["priority"] = 1
    return c


STATUS_COLUMN = column("Status", ".status.conditions[0].reason")
AGE_COLUMN = column("Age", ".metadata.creationTimestamp", "date")

# ELF function, kernel function and tracepoint names (1.3): 1 to 64 characters; the pattern
# is not anchored at its end, as upstream, so a name has three characters at least
NAME_PATTERN = "^[a-zA-Z][a-zA-Z0-9_]+."


def name(desc=None):
    kw = {"description": desc} if desc else {}
    return string(minLength=1, maxLength=64, pattern=NAME_PATTERN, **kw)


def crd(kind, plural, scope, schema, columns, header):
    singular = kind.lower()
    version = {"name": VERSION, "served": True, "storage": True,
               "subresources": {"status": {}}}
    if columns:
        version["additionalPrinterColumns"] = columns
    version["schema"] = {"openAPIV3Schema": schema}
    doc = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": kind + "List", "plural": plural,
                      "singular": singular},
            "scope": scope,
            "versions": [version],
        },
    }
    return plural, header, doc


def root(desc, spec=None, status=None, spec_required=True):
    props = {"apiVersion": string(), "kind": string(), "metadata": {"type": "object"}}
    if spec is not None:
        props["spec"] = spec
    if status is not None:
        props["status"] = status
    return obj(props, required=["spec"] if spec is not None and spec_required else (),
               desc=desc)


# ---- G2 (section 1) ----

CLUSTER_TYPES = ["XDP", "TC", "TCX", "FEntry", "FExit", "KProbe", "KRetProbe", "UProbe",
                 "URetProbe", "TracePoint"]
NS_TYPES = ["XDP", "TC", "TCX", "UProbe", "URetProbe"]
MEMBER = {"XDP": "xdp", "TC": "tc", "TCX": "tcx", "FEntry": "fentry", "FExit": "fexit",
          "KProbe": "kprobe", "KRetProbe": "kretprobe", "UProbe": "uprobe",
          "URetProbe": "uretprobe", "TracePoint": "tracepoint"}
XDP_PROCEED = ["Aborted", "Drop", "Pass", "TX", "ReDirect", "DispatcherReturn"]
TC_PROCEED = ["UnSpec", "OK", "ReClassify", "Shot", "Pipe", "Stolen", "Queued", "Repeat",
              "ReDirect", "Trap", "DispatcherReturn"]
DIRECTIONS = ["Ingress", "Egress"]


def image_source(casing):
    """byteCode.image (G2, camelCase) or bytecode.image (G1, lower case)"""
    url, policy, secret = casing
    return obj({
        url: string(description="Image reference, e.g. quay.io/bpfman-bytecode/xdp_pass:latest.",
                    maxLength=525, pattern="[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"),
        policy: enum(["Always", "Never", "IfNotPresent"], default="IfNotPresent"),
        secret: obj({"name": string(), "namespace": string()}, required=["name", "namespace"],
                    desc="Secret of type kubernetes.io/dockerconfigjson holding the registry's credentials."),
    }, required=[url])


def interface_selector():
    return obj({
        "interfaces": array(string(), minItems=1, description="Interface names (case-sensitive)."),
        "primaryNodeInterface": boolean(
            description="true: the interface holding the Node's InternalIP. Only true is accepted."),
        "interfacesDiscoveryConfig": obj({
            "interfaceAutoDiscovery": boolean(default=False),
            "excludeInterfaces": array(string(), default=["lo"]),
            "allowedInterfaces": array(string(),
                                       description="Empty: all. /REGEX/ entries are regular expressions."),
        }),
    }, minProperties=1, maxProperties=1, desc="Exactly one of interfaces, primaryNodeInterface, interfacesDiscoveryConfig.",
        rules=[rule("!has(self.primaryNodeInterface) || self.primaryNodeInterface",
                    "primaryNodeInterface can only be true", ".primaryNodeInterface")])


def pod_selection(cluster, what, extra=None):
    props = {}
    if cluster:
        props["namespace"] = string(description="Namespace of the pods; empty: every namespace.")
    props["pods"] = label_selector("Pods on the node whose labels match; {} selects all.")
    props.update(extra or {})
    return obj(props, required=["pods"], desc=what)


def net_link(kind, cluster):
    props = {"interfaceSelector": interface_selector(),
             "networkNamespaces": pod_selection(
                 cluster, "Attach inside the network namespace of each selected pod"
                 + (" (absent: the host's)." if cluster else "."))}
    props["priority"] = int32(minimum=0, maximum=1000,
                              description="Lower runs first; absent: 1000.")
    if kind == "xdp":
        props["proceedOn"] = array(enum(XDP_PROCEED), default=["Pass", "DispatcherReturn"])
    if kind == "tc":
        props["proceedOn"] = array(enum(TC_PROCEED), default=["Pipe", "DispatcherReturn"])
    if kind in ("tc", "tcx"):
        props["direction"] = enum(DIRECTIONS)
    req = ["interfaceSelector"] + (["direction"] if kind != "xdp" else [])
    if not cluster:
        req.append("networkNamespaces")
    return obj(props, required=req)


def probe_link(kind, cluster):
    if kind == "kprobe":
        return obj({"function": name("Kernel function."), "offset": int64(default=0)},
                   required=["function"])
    if kind == "kretprobe":
        return obj({"function": name("Kernel function.")}, required=["function"])
    props = {
        "target": string(minLength=1,
                         description="Library name (e.g. libc) or absolute path of a binary."),
        "function": name("Function in the target."),
        "offset": int64(default=0),
        "pid": int32(description="Only this process."),
        "containers": pod_selection(cluster, "Attach in the selected pods' containers",
                                    {"containerNames": array(string(),
                                                             description="Absent or empty: every container.")}),
    }
    return obj(props, required=["target"] + ([] if cluster else ["containers"]))


def links(item, **kw):
    return {"links": array(item, description="Where to attach; none: loaded, not attached.", **kw)}


def member_spec(t, cluster):
    m = MEMBER[t]
    if m in ("xdp", "tc", "tcx"):
        return obj(links(net_link(m, cluster)))
    if m in ("kprobe", "kretprobe", "uprobe", "uretprobe"):
        return obj(links(probe_link(m.replace("uret", "u"), cluster)))
    if m == "tracepoint":
        return obj(links(obj({"name": name("CATEGORY/NAME, e.g. syscalls/sys_enter_openat.")},
                             required=["name"])))
    # fentry, fexit: the function is fixed at load time; one attachment or none
    return obj({"function": name("Kernel function."),
                **links(obj({"mode": enum(["Attach"])}, required=["mode"]), maxItems=1)},
               required=["function"])


def member_rules(types, cluster):
    out = []
    for t in types:
        m = MEMBER[t]
        # the namespaced kind's upstream message spells this one type upper case
        shown = "TCX" if (not cluster and t == "TCX") else m
        out.append(rule(f"has(self.type) && self.type == '{t}' ? has(self.{m}) : !has(self.{m})",
                        f"{m} configuration is required when type is {shown}, and forbidden otherwise",
                        "." + m))
    return out


def app_spec(cluster):
    types = CLUSTER_TYPES if cluster else NS_TYPES
    program = obj({"name": name("The program's function name in the object file."),
                   "type": enum(types),
                   **{MEMBER[t]: member_spec(t, cluster) for t in types}},
                  required=["name", "type"], rules=member_rules(types, cluster))
    return obj({
        "nodeSelector": label_selector("Nodes whose labels match load the programs; {} selects every node."),
        "byteCode": obj({"image": image_source(("url", "imagePullPolicy", "imagePullSecret")),
                         "path": string(description="Absolute path of the object file on the node.",
                                        pattern=r"^(/[^/\0]+)+/?$")},
                        minProperties=1, maxProperties=1,
                        desc="Where the object file comes from: exactly one of image, path."),
        "globalData": byte_map("Initial values of global variables by name (bytes; base64 in YAML), the same for every program."),
        "mapOwnerSelector": label_selector("Not supported: rejected (the programs of one application share their maps)."),
        "programs": array(program, minItems=1,
                          description="The programs to load; each attaches through the member named after its type."),
    }, required=["nodeSelector", "byteCode", "programs"],
        rules=[rule("!has(self.mapOwnerSelector)",
                    "mapOwnerSelector is not supported; the programs of one application share their maps",
                    ".mapOwnerSelector")])


LINK_STATUS = ["Attached", "NotAttached", "AttachError", "DetachError"]
LOAD_STATUS = ["NotLoaded", "LoadSuccess", "LoadError", "UnloadSuccess", "UnloadError",
               "NotSelected", "ProgramListChangedError"]
PROGRAM_LINK_STATUS = ["Pending", "Success", "Error", "UpdateAttachInfoError"]


def link_state(m, cluster):
    props = {"shouldAttach": boolean(), "uuid": string(), "linkId": uint32(),
             "linkStatus": enum(LINK_STATUS)}
    req = ["shouldAttach", "uuid", "linkStatus"]
    if m in ("xdp", "tc", "tcx"):
        props.update({"interfaceName": string(), "netnsPath": string(), "priority": int32()})
        if m != "tcx":
            props["proceedOn"] = array(enum(XDP_PROCEED if m == "xdp" else TC_PROCEED))
        if m != "xdp":
            props["direction"] = enum(DIRECTIONS)
        req.append("interfaceName")
        if not cluster:
            req.append("netnsPath")
    elif m == "kprobe":
        props.update({"function": string(), "offset": int64()})
    elif m == "kretprobe":
        props["function"] = string()
    elif m == "tracepoint":
        props["name"] = string()
    elif m in ("uprobe", "uretprobe"):
        props.update({"function": string(), "offset": int64(), "target": string(),
                      "pid": int32(), "containerPid": int32()})
    return obj(props, required=req)


def state_status(cluster):
    types = CLUSTER_TYPES if cluster else NS_TYPES
    members = {}
    for t in types:
        m = MEMBER[t]
        extra = {"function": string()} if m in ("fentry", "fexit") else {}
        members[m] = obj({**extra, "links": array(link_state(m, cluster))})
    program = obj({"name": string(), "type": enum(types),
                   "programId": uint32(description="Kernel program id; absent until loaded."),
                   "programLinkStatus": enum(PROGRAM_LINK_STATUS), **members},
                  required=["name", "type"])
    return obj({
        "node": string(),
        "appLoadStatus": enum(LOAD_STATUS),
        "updateCount": int64(minimum=0, description="+1 on every status write by the agent."),
        "programs": array(program),
        "conditions": conditions("One condition: Pending, Success, Error, Unloaded, UnloadError or ProgramListChangedError."),
    }, required=["node", "appLoadStatus", "updateCount"],
        desc="Written by the agent of the node (status only: there is no spec).")


APP_STATUS = obj({"conditions": conditions(
    "One condition, type = reason: Pending, Error, Success or DeleteError.")})

G2_APP_HEADER = """\
# {kind} (bpfman.io/v1alpha1, {scope}): BPF programs loaded from one object
# file or image and attached on every node the nodeSelector picks (contract section 1.2-1.5).
# Validation is this schema and its CEL rules only (no webhook).{extra}
#
# Departures from bpfman-operator v0.6, on purpose:
# - The NodeSelector column reads .spec.nodeSelector. Upstream reads .spec.nodeselector (lower
#   case), a field that does not exist, so its column was always empty.
# - mapOwnerSelector is in the schema but rejected: upstream accepts and ignores it, silently
#   giving the programs maps the user did not ask for. All programs of one application share
#   their maps already.
# - primaryNodeInterface: false is rejected: upstream's agent acts on it as if it were true.
# - Condition reasons must match the Kubernetes Condition pattern (CamelCase, no spaces).
"""

NS_EXTRA = """
#
# byteCode.image.imagePullSecret.namespace should be this object's own namespace (an
# application must not make the agent read another namespace's Secret), but a CEL rule in a
# CRD cannot see metadata.namespace (only name and generateName), so the schema cannot say it.
# The agent enforces it, and the ValidatingAdmissionPolicy in
# bpfapplication-pullsecret-policy.yaml rejects it at the API server."""

G2_STATE_HEADER = """\
# {kind} (bpfman.io/v1alpha1, {scope}): what one node's agent did with one
# application (contract section 1.6). Status only; the agent creates one per node and
# application, labelled bpfman.io/ownedByProgram=<app> and kubernetes.io/hostname=<node>.
#
# Departures from bpfman-operator v0.6, on purpose:
# - programId and linkId are unsigned 32-bit (0 to 4294967295): the daemon's link ids are
#   often above 2^31, which upstream's int32 schema does not hold.
# - Condition reasons must match the Kubernetes Condition pattern (CamelCase, no spaces):
#   upstream's "Unload Error" reason and its empty ProgramListChangedError condition are
#   rejected; the agent writes UnloadError and ProgramListChangedError.
"""

CONFIG_HEADER = """\
# Config (bpfman.io/v1alpha1, cluster): how the operator deploys bpfman (contract
# section 1.7). Only the object named bpfman-config is used. spec.namespace defaults to
# bpfman, the namespace of the bootstrap Config.
"""


def g2():
    out = []
    for kind, plural, scope, cluster in (
            ("ClusterBpfApplication", "clusterbpfapplications", "Cluster", True),
            ("BpfApplication", "bpfapplications", "Namespaced", False)):
        cols = [column("NodeSelector", ".spec.nodeSelector",
                       desc="The node selector (upstream's path .spec.nodeselector printed nothing)"),
                STATUS_COLUMN, AGE_COLUMN]
        schema = root("BPF programs of one object file or image, loaded and attached on the selected nodes.",
                      app_spec(cluster), APP_STATUS)
        header = G2_APP_HEADER.format(kind=kind, scope="cluster-scoped" if cluster else "namespaced",
                                      extra="" if cluster else NS_EXTRA)
        out.append(crd(kind, plural, scope, schema, cols, header))
    for kind, plural, scope, cluster in (
            ("ClusterBpfApplicationState", "clusterbpfapplicationstates", "Cluster", True),
            ("BpfApplicationState", "bpfapplicationstates", "Namespaced", False)):
        cols = [column("Node", ".status.node"), STATUS_COLUMN, AGE_COLUMN]
        schema = root("The state of one application on one node.", None, state_status(cluster))
        out.append(crd(kind, plural, scope, schema, cols,
                       G2_STATE_HEADER.format(kind=kind, scope="cluster-scoped" if cluster else "namespaced")))
    config_spec = obj({
        "agent": obj({"image": string(minLength=1),
                      "logLevel": string(description="info, debug or trace."),
                      "healthProbePort": node("integer", {}, default=8175, minimum=1,
                                               maximum=65535)},
                     required=["image"], desc="The bpfman-agent container."),
        "daemon": obj({"image": string(minLength=1), "logLevel": string(),
                       "csiRegistrarImage": string(description="node-driver-registrar image.")},
                      required=["image"], desc="The bpfman container."),
        "configuration": string(minLength=1, description="The full text of bpfman.toml."),
        "namespace": string(default="bpfman",
                            description="Namespace of the DaemonSet and its ConfigMap."),
        "overrides": array(obj({"apiVersion": string(), "kind": string(), "namespace": string(),
                                "name": string(), "unmanaged": boolean()},
                               required=["apiVersion", "kind", "namespace", "name", "unmanaged"]),
                           description="unmanaged: true stops the operator touching that object.",
                           **{"x-kubernetes-list-type": "map",
                              "x-kubernetes-list-map-keys": ["kind", "apiVersion", "namespace", "name"]}),
    }, required=["agent", "daemon", "configuration"])
    out.append(crd("Config", "configs", "Cluster",
                   root("How the operator deploys bpfman.", config_spec,
                        obj({"conditions": conditions("Not written by the operator.")})),
                   [AGE_COLUMN], CONFIG_HEADER))
    return out


# ---- G1 (section 2; operator v0.4.2; all cluster-scoped, lower-case JSON) ----

G1_HEADER = """\
# {kind} (bpfman.io/v1alpha1, cluster): first-generation (bpfman-operator v0.4) kind, kept
# so that manifests written for it apply (contract section 2). The agent turns it into a
# one-program ClusterBpfApplication and reports per node in BpfProgram objects.
#
# Departures from v0.4, on purpose:
# - bytecode must have exactly one of image and path (upstream did not check it; neither
#   the agent nor the daemon can use both).{extra}
"""


def g1_common():
    return {
        "bpffunctionname": string(description="The program's function name in the object file."),
        "nodeselector": label_selector("Nodes whose labels match load the program; {} selects every node."),
        "globaldata": byte_map("Initial values of global variables by name (bytes; base64 in YAML)."),
        "bytecode": obj({"image": image_source(("url", "imagepullpolicy", "imagepullsecret")),
                         "path": string(description="Path of the object file on the node.")},
                        minProperties=1, maxProperties=1,
                        desc="Where the object file comes from: image or path."),
        "mapownerselector": label_selector(
            "Share the maps of the one BpfProgram on the node with these labels.", labels_only=True),
    }


G1_REQUIRED = ["bpffunctionname", "nodeselector", "bytecode"]


def g1_iface():
    return obj({"interfaces": array(string()), "primarynodeinterface": boolean()},
               minProperties=1, maxProperties=1,
               desc="Exactly one of interfaces, primarynodeinterface.")


G1_COLUMNS = [column("BpfFunctionName", ".spec.bpffunctionname"),
              column("NodeSelector", ".spec.nodeselector"), STATUS_COLUMN]


def g1():
    fn = column("FunctionName", ".spec.func_name", wide=True)
    offset = column("Offset", ".spec.offset", "integer", wide=True)
    retprobe = column("RetProbe", ".spec.retprobe", "boolean", wide=True)
    prio = column("Priority", ".spec.priority", "integer", wide=True)
    iface = column("InterfaceSelector", ".spec.interfaceselector", wide=True)
    kinds = [
        ("XdpProgram", {
            "interfaceselector": g1_iface(),
            "priority": int32(minimum=0, maximum=1000, description="Lower runs first."),
            "proceedon": array(enum(["aborted", "drop", "pass", "tx", "redirect", "dispatcher_return"]),
                               maxItems=6, default=["pass", "dispatcher_return"]),
        }, ["interfaceselector", "priority"], [],
            [prio, iface, column("ProceedOn", ".spec.proceedon", wide=True)], ""),
        ("TcProgram", {
            "interfaceselector": g1_iface(),
            "priority": int32(minimum=0, maximum=1000, description="Lower runs first."),
            "direction": enum(["ingress", "egress"]),
            "proceedon": array(enum(["unspec", "ok", "reclassify", "shot", "pipe", "stolen",
                                     "queued", "repeat", "redirect", "trap", "dispatcher_return"]),
                               maxItems=11, default=["pipe", "dispatcher_return"]),
        }, ["interfaceselector", "priority", "direction"], [],
            [prio, column("Direction", ".spec.direction", wide=True), iface,
             column("ProceedOn", ".spec.proceedon", wide=True)], ""),
        ("TracepointProgram", {
            "names": array(string(), description="CATEGORY/NAME tracepoints; one BpfProgram each."),
        }, ["names"], [],
            [column("TracePoint", ".spec.names", wide=True,
                    desc="The tracepoints (upstream's path .spec.name printed nothing)")],
            "\n# - The TracePoint column reads .spec.names; upstream's .spec.name does not exist,\n"
            "#   so its column was always empty."),
        ("KprobeProgram", {
            "func_name": string(description="Kernel function."),
            "offset": int64(minimum=0, default=0),
            "retprobe": boolean(default=False),
        }, ["func_name"],
            [rule("!has(self.retprobe) || !self.retprobe || !has(self.offset) || self.offset == 0",
                  "offset cannot be set for kretprobes", ".offset")],
            [fn, offset, retprobe], ""),
        ("UprobeProgram", {
            "func_name": string(description="Function in the target."),
            "offset": int64(minimum=0, default=0),
            "target": string(description="Library name (e.g. libc) or absolute path of a binary."),
            "retprobe": boolean(default=False),
            "pid": int32(description="Only this process."),
            "containers": obj({"namespace": string(default=""),
                               "pods": label_selector("Pods on the node whose labels match."),
                               "containernames": array(string())},
                              required=["pods"]),
        }, ["target"], [],
            [fn, offset, column("Target", ".spec.target", wide=True), retprobe,
             column("Pid", ".spec.pid", "integer", wide=True)], ""),
        ("FentryProgram", {"func_name": string(description="Kernel function.")},
         ["func_name"], [], [fn], ""),
        ("FexitProgram", {"func_name": string(description="Kernel function.")},
         ["func_name"], [], [fn], ""),
    ]
    out = []
    for kind, own, req, rules, wide, extra in kinds:
        spec = obj({**g1_common(), **own}, required=G1_REQUIRED + req, rules=rules)
        schema = root(f"{kind}: first-generation bpfman.io kind.", spec,
                      obj({"conditions": conditions(
                          "One condition: NotYetLoaded, ReconcileError, ReconcileSuccess or DeleteError.")}))
        # no Age column on these kinds, as upstream
        out.append(crd(kind, kind.lower() + "s", "Cluster", schema, G1_COLUMNS + wide,
                       G1_HEADER.format(kind=kind, extra=extra)))
    bpfprogram = root("One node's state of one first-generation program and attach point.",
                      obj({"type": enum(["xdp", "tc", "tracepoint", "kprobe", "uprobe", "fentry",
                                         "fexit"])}),
                      obj({"conditions": conditions(
                          "One condition; reasons bpfmanLoaded, bpfmanNotLoaded, nodeNotSelected, ...")}),
                      spec_required=False)
    out.append(crd("BpfProgram", "bpfprograms", "Cluster", bpfprogram,
                   [column("Type", ".spec.type"), STATUS_COLUMN, AGE_COLUMN],
                   "# BpfProgram (bpfman.io/v1alpha1, cluster): written by the agent, one per node and attach\n"
                   "# point of a first-generation *Program (contract section 2), named\n"
                   "# <program>-<node>-<attach point>.\n"))
    return out


# ---- output ----


class Dumper(yaml.SafeDumper):
    # a shared schema piece must be written out in full each time, never as an alias
    def ignore_aliases(self, data):
        return True


def render(header, doc):
    body = yaml.dump(doc, Dumper=Dumper, sort_keys=False, default_flow_style=False,
                     width=4096, allow_unicode=False)
    return "# Generated by tools/k8s-crds.py from the contract's tables: edit that, not this.\n" \
        + header + body


def files():
    return {f"{GROUP}_{plural}.yaml": render(header, doc) for plural, header, doc in g2() + g1()}


def main(argv):
    check = len(argv) == 3 and argv[1] == "--check"
    if len(argv) != 2 and not check:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[-1]
    bad = 0
    for fname, text in files().items():
        path = os.path.join(outdir, fname)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            if not same:
                print(f"{path}: differs from what tools/k8s-crds.py writes", file=sys.stderr)
                bad = 1
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
