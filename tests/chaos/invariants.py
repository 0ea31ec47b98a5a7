"""Do the records, the pins and the kernel agree?

Records are read from the database itself (not through `list`, which hides a record whose
program is gone). "Ours" in the kernel means: pinned under the test's root, attached to the
test's interfaces, a bpf_link of a program the test ever saw as managed, or an fd the
server holds. Every finding is a (key, text) pair; the key names the object, so one
leftover seen by several checks counts once."""

import os
import sqlite3

import kernel

# enum bpfman_prog_type and bpfman_direction (src/lib/bpfman.h)
T_XDP, T_TC, T_TCX = 0, 1, 7
DIRS = {1: "ingress", 2: "egress"}


class Records:
    def __init__(self, db):
        self.progs, self.links, self.qdiscs = {}, {}, set()
        if not os.path.exists(db):
            return
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            for r in con.execute("SELECT id, type, name, map_pin_path FROM programs"):
                self.progs[r["id"]] = dict(r)
            for r in con.execute("SELECT * FROM links"):
                self.links[r["id"]] = dict(r)
            for r in con.execute("SELECT netns, iface FROM tc_qdiscs"):
                self.qdiscs.add((r["netns"], r["iface"]))
        finally:
            con.close()


class Snapshot:
    """Records, pins and the kernel side of the test's objects, read once."""

    def __init__(self, root, hooks, server_pid):
        fs = os.path.join(root, "run", "bpfman", "fs")
        self.rec = Records(os.path.join(root, "run", "bpfman", "db", "store.db"))
        self.prog_pins = {}  # id in the pin's name -> kernel program id behind it (None: none)
        self.link_pins = {}  # link record id -> (kernel link id, prog id) behind it
        for n in _ls(fs):
            if n.startswith("prog_") and n[5:].isdigit():
                ids = kernel.pinned_ids(os.path.join(fs, n))
                self.prog_pins[int(n[5:])] = ids[0] if ids else None
        for n in _ls(os.path.join(fs, "links")):
            if n.isdigit():
                self.link_pins[int(n)] = kernel.pinned_ids(os.path.join(fs, "links", n))
        self.map_dirs = {os.path.join(fs, "maps", n) for n in _ls(os.path.join(fs, "maps"))}
        self.kernel_links = kernel.links()
        self.hooks = {}  # (netns path, iface) -> {"xdp": id, "clsact": bool, dir: [filters]}
        for netns_name, netns_path, iface in hooks:
            h = {"xdp": kernel.xdp_prog(netns_name, iface),
                 "clsact": kernel.has_clsact(netns_name, iface)}
            for d in DIRS.values():
                h[d] = kernel.tc_filters(netns_name, iface, d) if h["clsact"] else []
            self.hooks[(netns_path, iface)] = h
        self.server = kernel.held_fds(server_pid) if server_pid else {"prog": set(), "link": set()}

    def prog_ids(self):
        """Program ids the manager shows as ours in this snapshot (records and pins)."""
        return set(self.rec.progs) | {i for i in self.prog_pins.values() if i}


def _ls(d):
    try:
        return os.listdir(d)
    except FileNotFoundError:
        return []


def findings(s, seen_progs):
    """Orphans of one snapshot: [(key, text)]. seen_progs: every program id the test ever
    saw as managed (their links are ours)."""
    out = []
    rec = s.rec
    ours = s.prog_ids() | set(seen_progs)

    # records without their kernel object or pin
    for pid, p in rec.progs.items():
        behind = s.prog_pins.get(pid, "none")
        if behind == "none" or behind is None:
            out.append(("prog-record:%d" % pid, "program record %d (%s) has no pin prog_%d" %
                        (pid, p["name"], pid)))
        elif behind != pid:
            out.append(("prog-record:%d" % pid, "pin prog_%d holds program %d" % (pid, behind)))
        elif not kernel.prog_exists(pid):
            out.append(("prog-record:%d" % pid, "program record %d: no such kernel program" % pid))
    for lid, l in rec.links.items():
        if l["prog_id"] not in rec.progs:
            out.append(("link-record:%d" % lid, "link record %d names program %d, which has no "
                        "record" % (lid, l["prog_id"])))
        if l["type"] == T_TC and not l.get("dispatched"):
            h = s.hooks.get((l["netns"], l["iface"]))
            d = DIRS.get(l["direction"], "?")
            want = (l["priority"], l["tc_handle"], l["prog_id"])
            if h is not None and want not in h.get(d, []):
                out.append(("link-record:%d" % lid, "tc link record %d (%s %s pref %d handle %d "
                            "prog %d) has no filter" % (lid, l["iface"], d, *want)))
            continue
        behind = s.link_pins.get(lid, "none")
        if behind == "none" or behind is None:
            out.append(("link-record:%d" % lid, "link record %d (prog %d, type %d) has no pin" %
                        (lid, l["prog_id"], l["type"])))
        elif behind[0] != l["kernel_link_id"] or behind[1] != l["prog_id"]:
            out.append(("link-record:%d" % lid, "link pin %d holds kernel link %d of program %d;"
                        " the record says link %d of program %d" %
                        (lid, behind[0], behind[1], l["kernel_link_id"], l["prog_id"])))
        if l["type"] == T_XDP:
            h = s.hooks.get((l["netns"], l["iface"]))
            if h is not None and h["xdp"] != l["prog_id"]:
                out.append(("link-record:%d" % lid, "xdp link record %d: %s runs %s, not %d" %
                            (lid, l["iface"], h["xdp"] or "nothing", l["prog_id"])))

    # pins without records
    for pid in s.prog_pins:
        if pid not in rec.progs:
            out.append(("prog-pin:%d" % pid, "pin prog_%d has no record" % pid))
    for lid in s.link_pins:
        if lid not in rec.links:
            out.append(("link-pin:%d" % lid, "pin links/%d has no record" % lid))
    used = {p["map_pin_path"] for p in rec.progs.values()}
    for d in s.map_dirs - used:
        out.append(("maps:" + os.path.basename(d), "map directory %s has no program record" % d))

    # the kernel side of the test's hooks
    for (netns, iface), h in s.hooks.items():
        tc_recs = [l for l in rec.links.values() if l["type"] == T_TC and l["iface"] == iface
                   and l["netns"] == netns]
        for d in DIRS.values():
            for pref, handle, prog in h[d]:
                if not any((l["priority"], l["tc_handle"], l["prog_id"]) == (pref, handle, prog)
                           and DIRS.get(l["direction"]) == d for l in tc_recs):
                    out.append(("tc:%s:%s:%d:%d" % (iface, d, pref, handle),
                                "tc filter on %s %s pref %d handle %d runs program %d without a "
                                "link record" % (iface, d, pref, handle, prog)))
        if h["xdp"] and not any(l["type"] == T_XDP and l["iface"] == iface and
                                l["netns"] == netns and l["prog_id"] == h["xdp"]
                                for l in rec.links.values()):
            out.append(("xdp:%s:%d" % (iface, h["xdp"]), "%s runs XDP program %d without a link "
                        "record" % (iface, h["xdp"])))
        if h["clsact"] and not tc_recs and not h["ingress"] and not h["egress"]:
            out.append(("clsact:%s" % iface, "clsact qdisc on %s, no tc link record (%s)" %
                        (iface, "recorded as made by the manager" if (netns, iface) in rec.qdiscs
                         else "no qdisc record")))

    # kernel links of our programs that no pin holds
    pinned_links = {v[0] for v in s.link_pins.values() if v}
    for kl, prog in s.kernel_links.items():
        if prog in ours and kl not in pinned_links:
            out.append(("klink:%d" % kl, "kernel link %d of program %d is held by no pin" %
                        (kl, prog)))

    # what the idle server keeps open
    for prog in s.server["prog"]:
        if prog not in rec.progs:
            out.append(("server-prog:%d" % prog, "the idle server holds an fd of program %d, "
                        "which has no record" % prog))
    for kl, prog in s.server["link"]:
        if kl not in pinned_links:
            out.append(("server-link:%d" % kl, "the idle server holds an fd of kernel link %d "
                        "(program %d) that no pin holds" % (kl, prog)))
    return out
