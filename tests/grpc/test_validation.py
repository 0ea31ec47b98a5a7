#!/usr/bin/python3
"""The library's request checks (src/lib/validate.c) over gRPC: the bad values that
tests/integration/test-validation.sh gives the CLI, each answered INVALID_ARGUMENT with the
same message, leaving no program, link, pin or record behind (checked after every test by
ServerTest's cleanup); and the tcx default priority, placed where the record says.

Run by run.sh after test_bpfman.py, with the same environment; it borrows that file's
helpers. Usage: test_validation.py [Class | Class.test_method]... (names of other files are
ignored). Prints ok / FAIL / skip per test method, then SUMMARY like test_bpfman.py.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import grpc

import test_bpfman as t
from test_bpfman import pb, PT, StatusCode, load_request

INVALID = StatusCode.INVALID_ARGUMENT
# an interface no host has: if a check is missing, the attach fails instead of touching a
# real interface of the host
NO_IFACE = "bpfmv-none0"


def cli(*args):
    """The CLI on the server's state (the two work side by side)."""
    env = dict(os.environ, BPFMAN_ROOT=t.ROOT)
    return subprocess.run([t.CLI, *args], check=True, capture_output=True, text=True,
                          env=env).stdout


class ValidationTest(t.ServerTest):
    """Values the server used to accept; every message is the one the CLI prints."""

    def raw(self, method, request, placeholder, replacement):
        """Sends `request` with the bytes `placeholder` replaced in its encoding (same
        length): how a client that does not check its strings would send them."""
        data = request.SerializeToString()
        self.assertEqual(1, data.count(placeholder), "placeholder must occur once")
        self.assertEqual(len(placeholder), len(replacement))
        t.stub()  # opens the shared channel
        return data.replace(placeholder, replacement), t._channel.unary_unary(t.SVC + method)

    def expect_raw(self, what, method, request, placeholder, replacement, phrase):
        data, fn = self.raw(method, request, placeholder, replacement)
        return self.expect_error(what, fn, data, INVALID, phrase)

    def tracepoint_prog(self):
        return self.load(("tracepoint_counter", "TRACEPOINT")).programs[0].kernel_info.id

    def attach_error(self, what, prog, info, phrase):
        links = list(self.call("Get", pb.GetRequest(id=prog)).info.links)
        self.expect_error(what, "Attach", pb.AttachRequest(id=prog, attach=info), INVALID, phrase)
        self.assertEqual(links, list(self.call("Get", pb.GetRequest(id=prog)).info.links))

    def test_priority_out_of_range(self):
        xdp = self.load(("xdp_counter", "XDP")).programs[0].kernel_info.id
        tc = self.load(("tcx_b", "TC")).programs[0].kernel_info.id
        tcx = self.load(("tcx_a", "TCX")).programs[0].kernel_info.id
        for prio in (-1, 1001, 2**31 - 1, -2**31):
            want = "invalid priority %d: expected 1 to 1000" % prio
            self.attach_error("xdp priority %d" % prio, xdp, pb.AttachInfo(
                xdp_attach_info=pb.XDPAttachInfo(iface=NO_IFACE, priority=prio)), want)
            self.attach_error("tc priority %d" % prio, tc, pb.AttachInfo(
                tc_attach_info=pb.TCAttachInfo(iface=NO_IFACE, direction="ingress", priority=prio)),
                want)
            self.attach_error("tcx priority %d" % prio, tcx, pb.AttachInfo(
                tcx_attach_info=pb.TCXAttachInfo(iface=NO_IFACE, direction="ingress",
                                                 priority=prio)), want)

    def test_proceed_on(self):
        xdp = self.load(("xdp_counter", "XDP")).programs[0].kernel_info.id
        self.attach_error("10,000 proceed-on values", xdp, pb.AttachInfo(
            xdp_attach_info=pb.XDPAttachInfo(iface=NO_IFACE, proceed_on=[2] * 10000)),
            "10000 proceed-on values: at most 16")
        self.attach_error("17 proceed-on values", xdp, pb.AttachInfo(
            xdp_attach_info=pb.XDPAttachInfo(iface=NO_IFACE, proceed_on=[2] * 17)),
            "17 proceed-on values: at most 16")
        self.attach_error("proceed-on value 99", xdp, pb.AttachInfo(
            xdp_attach_info=pb.XDPAttachInfo(iface=NO_IFACE, proceed_on=[2, 99])),
            "invalid proceed-on value 99 for xdp")

    def test_empty_netns(self):
        xdp = self.load(("xdp_counter", "XDP")).programs[0].kernel_info.id
        self.attach_error("netns ''", xdp, pb.AttachInfo(
            xdp_attach_info=pb.XDPAttachInfo(iface=NO_IFACE, netns="")),
            "the netns path is empty")

    def test_metadata_keys(self):
        tp = self.tracepoint_prog()
        for key, phrase in (("", "metadata key 1 is empty"),
                            ("=", "metadata key '=' contains '='"),
                            ("a=b", "metadata key 'a=b' contains '='")):
            self.expect_error("Load metadata key %r" % key, "Load",
                              load_request(("tracepoint_counter", "TRACEPOINT"),
                                           metadata={key: "v"}), INVALID, phrase)
            self.attach_error("Attach metadata key %r" % key, tp, pb.AttachInfo(
                tracepoint_attach_info=pb.TracepointAttachInfo(
                    tracepoint="syscalls/sys_enter_getpid", metadata={key: "v"})), phrase)

    def test_probe_numbers(self):
        kp = self.load(("kprobe_counter", "KPROBE")).programs[0].kernel_info.id
        up = self.load(("uprobe_counter", "UPROBE")).programs[0].kernel_info.id
        self.attach_error("kprobe offset 2^64-1", kp, pb.AttachInfo(
            kprobe_attach_info=pb.KprobeAttachInfo(fn_name="do_unlinkat", offset=2**64 - 1)),
            "invalid offset 18446744073709551615: at most 9223372036854775807")
        self.attach_error("uprobe offset 2^63", up, pb.AttachInfo(
            uprobe_attach_info=pb.UprobeAttachInfo(target="libc", fn_name="getpid",
                                                   offset=2**63)),
            "invalid offset 9223372036854775808")
        self.attach_error("uprobe pid -5", up, pb.AttachInfo(
            uprobe_attach_info=pb.UprobeAttachInfo(target="libc", fn_name="getpid", pid=-5)),
            "invalid pid -5: expected a process id")
        self.attach_error("uprobe container pid -1", up, pb.AttachInfo(
            uprobe_attach_info=pb.UprobeAttachInfo(target="libc", fn_name="getpid",
                                                   container_pid=-1)),
            "invalid container pid -1: expected a process id")
        self.attach_error("kprobe container pid -1", kp, pb.AttachInfo(
            kprobe_attach_info=pb.KprobeAttachInfo(fn_name="do_unlinkat", container_pid=-1)),
            "invalid container pid -1: expected a process id")

    def test_empty_global_name(self):
        # (a protobuf map cannot name a key twice, so the CLI's repeated -g has no twin here)
        self.expect_error("global with an empty name", "Load",
                          load_request(("tracepoint_counter", "TRACEPOINT"),
                                       global_data={"": b"\x01"}),
                          INVALID, "global data name 1 is empty")

    def test_nul_in_strings(self):
        req = load_request(("tracepoint_counter", "TRACEPOINT"),
                           global_data={"incrementXrest": b"\x01" * 8})
        self.expect_raw("global data name with a NUL", "Load", req, b"incrementXrest",
                        b"increment\x00rest", "global_data.key contains a NUL byte")
        req = load_request(("tracepoint_counter", "TRACEPOINT"), metadata={"kk": "vXv"})
        self.expect_raw("metadata value with a NUL", "Load", req, b"vXv", b"v\x00v",
                        "metadata.value contains a NUL byte")
        req = load_request(("tracepoint_counterX", "TRACEPOINT"))
        self.expect_raw("function name with a NUL", "Load", req, b"tracepoint_counterX",
                        b"tracepoint_counter\x00", "info.name contains a NUL byte")

    def test_invalid_utf8(self):
        """The messages are the library's, as the CLI prints them."""
        tp_load = ("tracepoint_counter", "TRACEPOINT")
        cases = (
            ("metadata key", load_request(tp_load, metadata={"KEYX": "v"}), b"KEYX",
             b"\xfe\xff\xfe\xff", "metadata key 1 is not valid UTF-8"),
            ("metadata value", load_request(tp_load, metadata={"k": "VALX"}), b"VALX",
             b"v\xc3\x28v", "metadata value of 'k' is not valid UTF-8"),
            ("global name", load_request(tp_load, global_data={"GLOBX": b"\x01"}), b"GLOBX",
             b"gg\xed\xa0\x80", "global data name 1 is not valid UTF-8"),
            ("path", load_request(tp_load, file="/tmp/PATHX.o"), b"PATHX",
             b"p\xc0\xafxx", "the object file path is not valid UTF-8"),
            ("function", load_request(("tracepoint_counteX", "TRACEPOINT")), b"counteX",
             b"count\xf5X", "the function name of program 1 is not valid UTF-8"),
        )
        for what, req, ph, rep, phrase in cases:
            self.expect_raw("Load with invalid UTF-8 in the " + what, "Load", req, ph, rep, phrase)
        tp = self.tracepoint_prog()
        req = pb.AttachRequest(id=tp, attach=pb.AttachInfo(
            tracepoint_attach_info=pb.TracepointAttachInfo(
                tracepoint="syscalls/sys_enter_getpid", metadata={"k": "ATTX"})))
        self.expect_raw("Attach metadata value", "Attach", req, b"ATTX", b"\xe0\x80\x80x",
                        "metadata value of 'k' is not valid UTF-8")
        req = pb.AttachRequest(id=tp, attach=pb.AttachInfo(
            tracepoint_attach_info=pb.TracepointAttachInfo(tracepoint="syscalls/TPX")))
        self.expect_raw("Attach tracepoint", "Attach", req, b"TPX", b"\xff\xffx",
                        "the tracepoint is not valid UTF-8")
        # nothing was stored that a conforming client could not decode
        self.assertEqual(1, len(self.list(bpfman_programs_only=True)))

    def test_bad_objects(self):
        with tempfile.TemporaryDirectory() as d:
            trunc = os.path.join(d, "trunc.o")
            with open(t.OBJ, "rb") as f, open(trunc, "wb") as g:
                g.write(f.read(200))
            e = self.expect_error("truncated object", "Load",
                                  load_request(("tracepoint_counter", "TRACEPOINT"), file=trunc),
                                  INVALID, "BPF object format invalid")
            self.assertNotIn("Unknown error", e.details())

    def test_image_bad_values(self):
        """Checked before any network: no registry is asked (test_image.py has the rest)."""
        for url, policy, phrase in (("", 1, "bytecode.image.url is required"),
                                    ("127.0.0.1:1/x/y:v1", 3, "invalid image_pull_policy 3"),
                                    ("127.0.0.1:1/x/y:v1", -1, "invalid image_pull_policy -1")):
            req = pb.LoadRequest(bytecode=pb.BytecodeLocation(image=pb.BytecodeImage(
                url=url, image_pull_policy=policy)),
                info=[pb.LoadInfo(name="tracepoint_counter", program_type=PT("TRACEPOINT"))])
            self.expect_error("Load from image %r policy %d" % (url, policy), "Load", req,
                              INVALID, phrase)


class ValidationNetTest(t.NetTest):
    """Issue 8, item 1: A at 50, B without a priority, C at 100 run A, C, B over gRPC too.
    (NetTest's namespaces; only the tests defined here run.)"""

    def test_tcx_default_priority(self):
        t.require_feature("tcx")
        progs = self.load(("tcx_a", "TCX"), ("tcx_b", "TCX"), ("tcx_c", "TCX")).programs
        ids = [p.kernel_info.id for p in progs]
        links = []
        for pid, prio in zip(ids, (50, 0, 100)):  # 0: not given (proto3's default)
            info = pb.TCXAttachInfo(iface="veth-a", direction="ingress", priority=prio,
                                    netns=self.netns_path())
            links.append(self.attach(pid, pb.AttachInfo(tcx_attach_info=info)))
        got = [json.loads(cli("get", "link", str(link), "-o", "json")) for link in links]
        self.assertEqual([50, 1000, 100], [g["priority"] for g in got], "recorded priorities")
        # the positions are the kernel's (a tcx query of the hook)
        self.assertEqual([0, 2, 1], [g["position"] for g in got], "run order A, C, B")


def main(argv):
    return t.run_tests(argv, sys.modules[__name__], [ValidationTest, ValidationNetTest], own_only=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
