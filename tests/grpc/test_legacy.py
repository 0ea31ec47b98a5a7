#!/usr/bin/python3
"""Objects written the way the reference's users write them (bpf/legacy_*.bpf.c), over gRPC:
sections libbpf 1.x does not know by themselves ("classifier/stats", "xdp/xdp_stats"),
prefixed probe and tracepoint sections, static program functions. Each program is loaded,
shown with its function name and kernel type, attached, and proven to run by its counter;
a section of another kind of program and a legacy "maps" section are refused with
INVALID_ARGUMENT and a message that says why (tests/integration/test-legacy.sh does the
same through the CLI).

Run by run.sh after test_bpfman.py, with the same environment; it borrows that file's
helpers. Usage: test_legacy.py [Class | Class.test_method]... (names of other files are
ignored). Prints ok / FAIL / skip per test method, then SUMMARY like test_bpfman.py.
"""

import os
import sys
import unittest

import test_bpfman as t
from test_bpfman import pb, StatusCode, counter, load_request, require_feature, trigger

SECTIONS = os.path.join(t.BUILD, "bpf", "legacy_sections.bpf.o")  # one program static
STATIC = os.path.join(t.BUILD, "bpf", "legacy_static.bpf.o")  # every program static
LEGACY_MAPS = os.path.join(t.BUILD, "bpf", "legacy_maps.bpf.o")
OBJECTS = (SECTIONS, STATIC)
# bpf/legacy_slots.h
L_TC, L_TCX, L_XDP, L_TRACEPOINT, L_KPROBE, L_KRETPROBE, L_UPROBE, L_URETPROBE = range(8)


class LegacyChecks:
    """What both classes check, on a ServerTest."""

    def load_legacy(self, obj, *programs):
        resp = self.load(*programs, file=obj)
        self.assertEqual([f for f, _ in programs], [p.info.name for p in resp.programs])
        return resp.programs

    def shown(self, prog, function, kernel_type):
        """Get shows what the reference shows: the function's name and the kernel type."""
        got = self.call("Get", pb.GetRequest(id=prog.kernel_info.id))
        self.assertEqual(function, got.info.name)
        self.assertIn(got.kernel_info.name, (function, function[:15]))
        self.assertEqual(kernel_type, got.kernel_info.program_type, function)

    def moves(self, prog, slot, n, what):
        before = counter(prog.info.map_pin_path, slot)
        trigger(what, n)
        self.assertGreaterEqual(counter(prog.info.map_pin_path, slot) - before, n,
                                "%s: %d %s calls" % (prog.info.name, n, what))


class LegacyTest(LegacyChecks, t.ServerTest):
    def test_tracepoint_section(self):
        require_feature("tracepoint")
        for obj in OBJECTS:
            p, = self.load_legacy(obj, ("tracepoint_getpid", "TRACEPOINT"))
            self.shown(p, "tracepoint_getpid", t.KT_TRACEPOINT)
            self.attach(p.kernel_info.id, t.tracepoint_attach())
            self.moves(p, L_TRACEPOINT, 10, "getpid")

    def test_kprobe_sections(self):
        require_feature("kprobe")
        for obj in OBJECTS:
            k, kr = self.load_legacy(obj, ("kprobe_unlinkat", "KPROBE"),
                                     ("kretprobe_unlinkat", "KPROBE"))
            for p in (k, kr):
                self.shown(p, p.info.name, t.KT_PROBE)
                self.attach(p.kernel_info.id, pb.AttachInfo(
                    kprobe_attach_info=pb.KprobeAttachInfo(fn_name="do_unlinkat")))
            self.moves(k, L_KPROBE, 10, "unlink")
            self.moves(kr, L_KRETPROBE, 10, "unlink")

    def test_uprobe_sections(self):
        require_feature("uprobe")
        for obj in OBJECTS:
            u, ur = self.load_legacy(obj, ("uprobe_target", "UPROBE"),
                                     ("uretprobe_target", "UPROBE"))
            for p in (u, ur):
                self.shown(p, p.info.name, t.KT_PROBE)
                self.attach(p.kernel_info.id, pb.AttachInfo(uprobe_attach_info=pb.UprobeAttachInfo(
                    target=t.TRIGGER, fn_name="bpfman_test_target")))
            self.moves(u, L_UPROBE, 7, "func")
            self.moves(ur, L_URETPROBE, 7, "func")

    def test_section_of_another_type_refused(self):
        for obj, fn, typ, sec in ((SECTIONS, "stats", "XDP", "classifier/stats"),
                                  (SECTIONS, "xdp_stats", "TRACEPOINT", "xdp/xdp_stats"),
                                  (STATIC, "xdp_stats", "TC", "xdp"),
                                  (SECTIONS, "uprobe_target", "KPROBE", "uprobe/bpfman_test_target")):
            self.expect_error("%s as %s" % (fn, typ), "Load", load_request((fn, typ), file=obj),
                              StatusCode.INVALID_ARGUMENT,
                              "function '%s' is in section '%s', which is not a %s program"
                              % (fn, sec, typ.lower()))

    def test_legacy_maps_refused(self):
        e = self.expect_error("legacy maps section", "Load",
                              load_request(("xdp_legacy_map", "XDP"), file=LEGACY_MAPS),
                              StatusCode.INVALID_ARGUMENT,
                              'legacy "maps" section (struct bpf_map_def)')
        self.assertIn('BTF-defined map in SEC(".maps")', e.details(), "what to change")
        self.assertNotIn("Operation not supported", e.details())

    def test_unsupported_object_is_invalid_argument(self):
        """What libbpf itself does not support (a static BTF map) is bad input with libbpf's
        reason, not UNIMPLEMENTED."""
        static_map = os.path.join(t.BUILD, "bpf", "legacy_static_map.bpf.o")
        e = self.expect_error("static BTF map", "Load",
                              load_request(("xdp_static_map", "XDP"), file=static_map),
                              StatusCode.INVALID_ARGUMENT, "uses a form libbpf")
        self.assertIn("unsupported map linkage static", e.details())


class LegacyNetTest(LegacyChecks, t.NetBase):
    """tc, tcx and xdp in legacy sections on veth-a, counting the pings of the second
    namespace; then every kind of one object in one load (they share its map)."""

    def net_moves(self, prog, attach_info, slot):
        link = self.attach(prog.kernel_info.id, attach_info)
        before = counter(prog.info.map_pin_path, slot)
        self.ping()
        self.assertGreaterEqual(counter(prog.info.map_pin_path, slot) - before, 5,
                                "%s: packets seen on veth-a" % prog.info.name)
        self.call("Detach", pb.DetachRequest(link_id=link))

    def tc(self):
        return pb.AttachInfo(tc_attach_info=pb.TCAttachInfo(
            iface="veth-a", direction="ingress", priority=50, netns=self.netns_path()))

    def tcx(self):
        return pb.AttachInfo(tcx_attach_info=pb.TCXAttachInfo(
            iface="veth-a", direction="ingress", priority=50, netns=self.netns_path()))

    def xdp(self):
        return pb.AttachInfo(xdp_attach_info=pb.XDPAttachInfo(
            iface="veth-a", priority=50, netns=self.netns_path()))

    def test_tc_classifier_section(self):
        for obj in OBJECTS:
            p, = self.load(("stats", "TC"), file=obj).programs
            self.shown(p, "stats", t.KT_TC)
            self.net_moves(p, self.tc(), L_TC)
            self.call("Unload", pb.UnloadRequest(id=p.kernel_info.id))

    def test_tcx_classifier_section(self):
        require_feature("tcx")
        for obj in OBJECTS:
            p, = self.load(("tcx_stats", "TCX"), file=obj).programs
            self.shown(p, "tcx_stats", t.KT_TC)
            self.net_moves(p, self.tcx(), L_TCX)
            self.call("Unload", pb.UnloadRequest(id=p.kernel_info.id))

    def test_xdp_sections(self):
        for obj in OBJECTS:
            p, = self.load(("xdp_stats", "XDP"), file=obj).programs
            self.shown(p, "xdp_stats", t.KT_XDP)
            self.net_moves(p, self.xdp(), L_XDP)
            self.call("Unload", pb.UnloadRequest(id=p.kernel_info.id))

    def test_one_object_every_type(self):
        """tc, xdp and a tracepoint (static in both objects) in one load."""
        require_feature("tracepoint")
        for obj in OBJECTS:
            progs = self.load(("stats", "TC"), ("xdp_stats", "XDP"),
                              ("tracepoint_getpid", "TRACEPOINT"), file=obj).programs
            self.assertEqual(1, len({p.info.map_pin_path for p in progs}), "one map directory")
            for p, kt in zip(progs, (t.KT_TC, t.KT_XDP, t.KT_TRACEPOINT)):
                self.shown(p, p.info.name, kt)
            tc, xdp, tp = progs
            self.attach(tc.kernel_info.id, self.tc())
            self.attach(xdp.kernel_info.id, self.xdp())
            self.attach(tp.kernel_info.id, t.tracepoint_attach())
            before = [counter(tc.info.map_pin_path, s) for s in (L_TC, L_XDP)]
            self.ping()
            after = [counter(tc.info.map_pin_path, s) for s in (L_TC, L_XDP)]
            self.assertGreaterEqual(after[0] - before[0], 5, "tc packets")
            self.assertGreaterEqual(after[1] - before[1], 5, "xdp packets")
            self.moves(tp, L_TRACEPOINT, 10, "getpid")
            for p in reversed(progs):
                self.call("Unload", pb.UnloadRequest(id=p.kernel_info.id))


def main(argv):
    return t.run_tests(argv, sys.modules[__name__], [LegacyTest, LegacyNetTest], own_only=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
