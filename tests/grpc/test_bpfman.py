#!/usr/bin/python3
"""gRPC client tests for bpfman-rpc: a real client on the server's real socket.

run.sh runs this file twice, each time with other generated stubs (BPFMAN_GRPC_STUBS): once
from the project's proto, once from the proto that gen_from_contract.py builds out of the
compatibility doc. Both must pass: the second run proves the wire format is the contract's.

Environment (run.sh sets all of it):
  BPFMAN_GRPC_STUBS     directory holding bpfman_pb2.py and bpfman_pb2_grpc.py
  BPFMAN_GRPC_FLAVOUR   name of those stubs in the report (project | contract)
  BPFMAN_GRPC_SOCKET    the server's socket
  BPFMAN_ROOT           the server's state root (pins are checked under it)
  BPFMAN_BUILD          build directory (counters.bpf.o, test helpers, the CLI)
  BPFMAN_GRPC_DESCRIPTORS  "PROJECT.pb:CONTRACT.pb" descriptor sets to compare (optional)
  GRPC_TEST_ID          makes network namespace names unique per run

Usage: test_bpfman.py [Class | Class.test_method]...
Prints one line per test method (ok / FAIL / skip), then
  SUMMARY flavour=F passed=N failed=N skipped=N
"""

import ctypes
import datetime
import json
import os
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("BPFMAN_BUILD") or os.path.join(TOP, "build")
OBJ = os.path.join(BUILD, "bpf", "counters.bpf.o")
TRIGGER = os.path.join(BUILD, "tests", "helpers", "trigger")
MAP_SUM = os.path.join(BUILD, "tests", "helpers", "map-sum")
RPC = os.environ.get("BPFMAN_RPC") or os.path.join(BUILD, "src", "rpc", "bpfman-rpc")
CLI = os.path.join(BUILD, "src", "cli", "bpfman")
SOCKET = os.environ.get("BPFMAN_GRPC_SOCKET", "/run/bpfman-sock/bpfman.sock")
ROOT = os.environ.get("BPFMAN_ROOT", "")
FS = os.path.join(ROOT or "/", "run", "bpfman", "fs")
FLAVOUR = os.environ.get("BPFMAN_GRPC_FLAVOUR", "project")
RUN_ID = os.environ.get("GRPC_TEST_ID", str(os.getpid()))

STUBS = os.environ.get("BPFMAN_GRPC_STUBS")
if not STUBS:
    sys.exit("BPFMAN_GRPC_STUBS is not set (run tests/grpc/run.sh)")
sys.path.insert(0, STUBS)
import bpfman_pb2 as pb  # noqa: E402  (generated; its path is only known at run time)
import bpfman_pb2_grpc as pb_grpc  # noqa: E402

DEADLINE = 30  # seconds, on every call
SVC = "/bpfman.v1.Bpfman/"

# Kernel program type numbers (contract 4.2): what List filters on and kernel_info reports
KT_SOCKET_FILTER, KT_PROBE, KT_TC, KT_TRACEPOINT, KT_XDP = 1, 2, 3, 5, 6
# BpfmanProgramType, looked up by name so a wrong number in either proto shows up
PT = pb.BpfmanProgramType.Value
# Slots of the `counters` map (bpf/counters.bpf.c)
SLOT_TRACEPOINT, SLOT_KPROBE, SLOT_UPROBE, SLOT_TCX_A, SLOT_TCX_B, SLOT_XDP = 0, 1, 3, 8, 9, 11
SLOT_GLOBALS = 15

StatusCode = grpc.StatusCode
NO_SUCH_ID = 0xFFFFFFF0  # far above any id a kernel hands out in a test run


def log(msg):
    print("    " + msg, flush=True)


def channel():
    ch = grpc.insecure_channel("unix://" + SOCKET)
    grpc.channel_ready_future(ch).result(timeout=DEADLINE)
    return ch


_channel = None


def stub():
    global _channel
    if _channel is None:
        _channel = channel()
    return pb_grpc.BpfmanStub(_channel)


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def trigger(what, n):
    run(TRIGGER, what, str(n))


def counter(map_pin_path, slot):
    return int(run(MAP_SUM, os.path.join(map_pin_path, "counters"), str(slot)))


PROBE_FEATURE_ABSENT = 3  # probe-feature's exit status for "the kernel lacks it"


def probe_feature(name):
    """(True, "") when the running kernel has NAME, else (False, why) as the project's own
    probe helper says it. A missing or failing probe is a failure, never an answer."""
    probe = os.path.join(BUILD, "tests", "helpers", "probe-feature")
    r = subprocess.run([probe, name], capture_output=True, text=True)
    why = (r.stdout + r.stderr).strip()
    if r.returncode == 0:
        return True, ""
    if r.returncode != PROBE_FEATURE_ABSENT:
        raise AssertionError("probe-feature %s gave no answer (exit %d): %s" % (name, r.returncode, why))
    return False, why


def require_feature(name):
    """Skips unless the running kernel has NAME. The absence of a feature the runner pinned
    for this kernel (REQUIRED_FEATURES) is a failure, never a skip."""
    present, why = probe_feature(name)
    if present:
        return
    if name in os.environ.get("REQUIRED_FEATURES", "").split():
        raise AssertionError("%s is required on this kernel (REQUIRED_FEATURES), but: %s" % (name, why))
    raise unittest.SkipTest(why)


def bpftool(*args):
    return json.loads(run("bpftool", "-j", *args))


def load_request(*programs, file=OBJ, **kw):
    """programs: (function, BpfmanProgramType name) pairs or ready LoadInfo messages."""
    infos = [p if isinstance(p, pb.LoadInfo) else pb.LoadInfo(name=p[0], program_type=PT(p[1]))
             for p in programs]
    return pb.LoadRequest(bytecode=pb.BytecodeLocation(file=file), info=infos, **kw)


def tracepoint_attach(tp="syscalls/sys_enter_getpid"):
    return pb.AttachInfo(tracepoint_attach_info=pb.TracepointAttachInfo(tracepoint=tp))


class UnmanagedProgram:
    """A socket filter loaded straight through bpf(2), not by the manager: what List and Get
    must show without `info`. Held by its fd; close() frees it."""

    NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361, "s390x": 351}
    NAME = "grpc_unmanaged"

    def __init__(self):
        nr = self.NR_BPF.get(os.uname().machine)
        if nr is None:
            raise unittest.SkipTest("bpf(2) number unknown on " + os.uname().machine)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        # r0 = 0; exit
        insns = ctypes.create_string_buffer(struct.pack("<BBhiBBhi", 0xb7, 0, 0, 0, 0x95, 0, 0, 0))
        lic = ctypes.create_string_buffer(b"GPL")
        # union bpf_attr for BPF_PROG_LOAD, up to prog_name; the rest stays zero
        attr = ctypes.create_string_buffer(struct.pack(
            "<IIQQIIQII16s", KT_SOCKET_FILTER, 2, ctypes.addressof(insns), ctypes.addressof(lic),
            0, 0, 0, 0, 0, self.NAME.encode()), 128)
        fd = libc.syscall(ctypes.c_long(nr), ctypes.c_int(5), attr, ctypes.c_uint(128))
        if fd < 0:
            raise unittest.SkipTest("cannot load a socket filter: " + os.strerror(ctypes.get_errno()))
        self.fd = fd
        # BPF_OBJ_GET_INFO_BY_FD: struct bpf_prog_info starts with u32 type, u32 id, u8 tag[8]
        info = ctypes.create_string_buffer(256)
        attr = ctypes.create_string_buffer(struct.pack("<IIQ", fd, 256, ctypes.addressof(info)), 16)
        if libc.syscall(ctypes.c_long(nr), ctypes.c_int(15), attr, ctypes.c_uint(16)) < 0:
            os.close(fd)
            raise unittest.SkipTest("BPF_OBJ_GET_INFO_BY_FD: " + os.strerror(ctypes.get_errno()))
        self.id = struct.unpack_from("<I", info.raw, 4)[0]
        self.tag = info.raw[8:16].hex()

    def close(self):
        os.close(self.fd)


class ServerTest(unittest.TestCase):
    """Common helpers. Every test starts and must end with no managed program: the last
    cleanup of each test checks that, so a test that leaks fails itself."""

    def setUp(self):
        self.c = stub()
        self.addCleanup(self.assert_nothing_left)

    # calls, each with a deadline
    def call(self, method, request):
        return getattr(self.c, method)(request, timeout=DEADLINE)

    def load(self, *programs, **kw):
        """Loads and registers the unloads (later programs go first: LIFO)."""
        resp = self.call("Load", load_request(*programs, **kw))
        for p in resp.programs:
            self.addCleanup(self.unload_quietly, p.kernel_info.id)
        return resp

    def unload_quietly(self, prog_id):
        try:
            self.call("Unload", pb.UnloadRequest(id=prog_id))
        except grpc.RpcError as e:
            if e.code() != StatusCode.NOT_FOUND:
                raise

    def attach(self, prog_id, attach_info):
        link = self.call("Attach", pb.AttachRequest(id=prog_id, attach=attach_info)).link_id
        self.addCleanup(self.detach_quietly, link)
        return link

    def detach_quietly(self, link_id):
        try:
            self.call("Detach", pb.DetachRequest(link_id=link_id))
        except grpc.RpcError as e:
            if e.code() != StatusCode.NOT_FOUND:
                raise

    def list(self, **kw):
        return list(self.call("List", pb.ListRequest(**kw)).results)

    def managed_ids(self, **kw):
        return {r.kernel_info.id for r in self.list(bpfman_programs_only=True, **kw)}

    def unmanaged(self):
        p = UnmanagedProgram()
        self.addCleanup(p.close)
        return p

    def expect_error(self, what, method, request, codes, phrase=None):
        """The call fails with one of `codes` (and `phrase` in its message); logs what came."""
        if isinstance(codes, StatusCode):
            codes = (codes,)
        fn = getattr(self.c, method) if isinstance(method, str) else method
        try:
            fn(request, timeout=DEADLINE)
        except grpc.RpcError as e:
            log("%s: %s: %s" % (what, e.code().name, e.details()))
            self.assertIn(e.code(), codes, "%s: got %s (%s), want %s"
                          % (what, e.code().name, e.details(), "/".join(c.name for c in codes)))
            if phrase:
                self.assertIn(phrase, e.details() or "", "%s: message lacks %r" % (what, phrase))
            return e
        self.fail("%s: the call succeeded, want %s" % (what, "/".join(c.name for c in codes)))

    def assert_nothing_left(self):
        left = self.list(bpfman_programs_only=True)
        self.assertEqual([], [(r.kernel_info.id, r.info.name) for r in left], "managed programs left")
        if ROOT and os.path.isdir(FS):
            pins = []
            for d, dirs, files in os.walk(FS):
                # maps.debug and progs.debug: the kernel's own iterators on every bpffs
                pins += [os.path.join(d, f)[len(FS):] for f in files if not f.endswith(".debug")]
            self.assertEqual([], sorted(pins), "pins left under the bpffs")

    def assert_gone(self, prog_id):
        """Get answers NOT_FOUND once the kernel has freed the program (it frees it after an
        RCU grace period, so allow a moment)."""
        for _ in range(50):
            try:
                r = self.call("Get", pb.GetRequest(id=prog_id))
            except grpc.RpcError as e:
                self.assertEqual(StatusCode.NOT_FOUND, e.code(), e.details())
                return
            self.assertFalse(r.HasField("info"), "unloaded program %d still managed" % prog_id)
            time.sleep(0.1)
        self.fail("program %d still in the kernel 5 s after Unload" % prog_id)

    def check_kernel_info(self, k, function, kernel_type):
        self.assertNotEqual(0, k.id)
        # the kernel keeps 15 characters; the full name comes from BTF
        self.assertIn(k.name, (function, function[:15]))
        self.assertEqual(kernel_type, k.program_type)
        self.assertRegex(k.tag, r"^[0-9a-f]{16}$")
        loaded = datetime.datetime.strptime(k.loaded_at, "%Y-%m-%dT%H:%M:%S%z")
        age = datetime.datetime.now(datetime.timezone.utc) - loaded
        self.assertLess(abs(age.total_seconds()), 600, "loaded_at %s is not now" % k.loaded_at)
        self.assertTrue(k.gpl_compatible)
        self.assertTrue(k.map_ids)
        self.assertGreater(k.bytes_xlated, 0)
        self.assertEqual(k.jited, k.bytes_jited > 0)
        self.assertGreater(k.bytes_memlock, 0)
        self.assertGreater(k.verified_insns, 0)

    def counters_map_id(self, map_pin_path):
        if not shutil.which("bpftool"):
            self.skipTest("bpftool not installed")
        return bpftool("map", "show", "pinned", os.path.join(map_pin_path, "counters"))["id"]


class LoadTest(ServerTest):
    def test_load_one(self):
        resp = self.load(("tracepoint_counter", "TRACEPOINT"),
                         metadata={"app": "grpc-test", "run": RUN_ID}, uuid="ignored-uuid")
        self.assertEqual(1, len(resp.programs))
        p = resp.programs[0]
        self.check_kernel_info(p.kernel_info, "tracepoint_counter", KT_TRACEPOINT)
        pid = p.kernel_info.id
        self.assertEqual("tracepoint_counter", p.info.name)
        self.assertEqual(OBJ, p.info.bytecode.file)
        self.assertEqual({"app": "grpc-test", "run": RUN_ID}, dict(p.info.metadata))
        self.assertEqual([], list(p.info.links), "Load attaches nothing")
        self.assertEqual([str(pid)], list(p.info.map_used_by))
        self.assertTrue(p.info.map_pin_path.endswith("/maps/%d" % pid), p.info.map_pin_path)
        if ROOT:
            self.assertEqual(os.path.join(FS, "maps", str(pid)), p.info.map_pin_path)
            self.assertTrue(os.path.exists(os.path.join(FS, "prog_%d" % pid)), "program pin")
        self.assertTrue(os.path.exists(os.path.join(p.info.map_pin_path, "counters")))
        self.assertIn(self.counters_map_id(p.info.map_pin_path), p.kernel_info.map_ids)

    def test_kernel_info_agrees_with_kernel(self):
        if not shutil.which("bpftool"):
            self.skipTest("bpftool not installed")
        k = self.load(("globals_probe", "TRACEPOINT")).programs[0].kernel_info
        b = bpftool("prog", "show", "id", str(k.id))
        self.assertEqual(b["tag"], k.tag)
        self.assertEqual("tracepoint", b["type"])
        self.assertEqual(b["bytes_xlated"], k.bytes_xlated)
        self.assertEqual(b.get("bytes_jited", 0), k.bytes_jited)
        self.assertEqual(b["jited"], k.jited)
        self.assertEqual(b["bytes_memlock"], k.bytes_memlock)
        self.assertEqual(sorted(b["map_ids"]), sorted(k.map_ids))
        self.assertEqual(b.get("btf_id", 0), k.btf_id)
        self.assertEqual(b["gpl_compatible"], k.gpl_compatible)
        self.assertEqual(b["name"], k.name)
        loaded = datetime.datetime.strptime(k.loaded_at, "%Y-%m-%dT%H:%M:%S%z").timestamp()
        self.assertLessEqual(abs(loaded - b["loaded_at"]), 1, k.loaded_at)

    def test_load_several_share_maps(self):
        # not in alphabetical order, so the response order is the request's
        want = [("kprobe_counter", "KPROBE", KT_PROBE),
                ("tracepoint_counter", "TRACEPOINT", KT_TRACEPOINT),
                ("globals_probe", "TRACEPOINT", KT_TRACEPOINT)]
        resp = self.load(*[(f, t) for f, t, _ in want], metadata={"set": "three"})
        self.assertEqual([f for f, _, _ in want], [p.info.name for p in resp.programs])
        for p, (f, _, kt) in zip(resp.programs, want):
            self.check_kernel_info(p.kernel_info, f, kt)
        ids = {str(p.kernel_info.id) for p in resp.programs}
        paths = {p.info.map_pin_path for p in resp.programs}
        self.assertEqual(1, len(paths), "one map directory for the object")
        shared = self.counters_map_id(paths.pop())
        for p in resp.programs:
            self.assertIn(shared, p.kernel_info.map_ids, p.info.name)
            self.assertEqual(ids, set(p.info.map_used_by), p.info.name)
            self.assertEqual({"set": "three"}, dict(p.info.metadata))
            g = self.call("Get", pb.GetRequest(id=p.kernel_info.id))
            self.assertEqual(ids, set(g.info.map_used_by), "Get of " + p.info.name)

    def test_map_owner(self):
        a = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0]
        b = self.load(("kprobe_counter", "KPROBE"), map_owner_id=a.kernel_info.id).programs[0]
        aid, bid = a.kernel_info.id, b.kernel_info.id
        self.assertTrue(b.info.HasField("map_owner_id"))
        self.assertEqual(aid, b.info.map_owner_id)
        self.assertEqual(a.info.map_pin_path, b.info.map_pin_path)
        self.assertIn(self.counters_map_id(a.info.map_pin_path), b.kernel_info.map_ids)
        self.assertEqual({str(aid), str(bid)}, set(b.info.map_used_by))
        got = self.call("Get", pb.GetRequest(id=aid))
        self.assertEqual({str(aid), str(bid)}, set(got.info.map_used_by))
        # the user goes; the owner's maps stay and no longer list it
        self.call("Unload", pb.UnloadRequest(id=bid))
        got = self.call("Get", pb.GetRequest(id=aid))
        self.assertEqual([str(aid)], list(got.info.map_used_by))
        self.assertTrue(os.path.exists(os.path.join(a.info.map_pin_path, "counters")))

    def test_owner_unloaded_first(self):
        a = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0]
        b = self.load(("tracepoint_counter", "TRACEPOINT"),
                      map_owner_id=a.kernel_info.id).programs[0]
        aid, bid = a.kernel_info.id, b.kernel_info.id
        self.attach(bid, tracepoint_attach())
        self.call("Unload", pb.UnloadRequest(id=aid))
        self.assert_gone(aid)
        # the maps stay where b's map_pin_path says while b uses them
        got = self.call("Get", pb.GetRequest(id=bid))
        self.assertEqual([str(bid)], list(got.info.map_used_by))
        self.assertEqual(a.info.map_pin_path, got.info.map_pin_path)
        before = counter(got.info.map_pin_path, SLOT_TRACEPOINT)
        trigger("getpid", 10)
        self.assertGreaterEqual(counter(got.info.map_pin_path, SLOT_TRACEPOINT) - before, 10)

    def test_global_data(self):
        five = struct.pack("<Q", 5)  # .rodata u64 increment
        p = self.load(("tracepoint_counter", "TRACEPOINT"), global_data={"increment": five}).programs[0]
        self.assertEqual({"increment": five}, dict(p.info.global_data))
        self.attach(p.kernel_info.id, tracepoint_attach())
        before = counter(p.info.map_pin_path, SLOT_TRACEPOINT)
        trigger("getpid", 20)
        delta = counter(p.info.map_pin_path, SLOT_TRACEPOINT) - before
        self.assertGreaterEqual(delta, 100, "20 getpid calls at increment 5")
        self.assertEqual(0, delta % 5, "every event adds 5")
        # .data and .bss too: globals_probe stores data_marker + bss_marker in slot 15
        g = {"data_marker": struct.pack("<I", 100), "bss_marker": struct.pack("<I", 2)}
        q = self.load(("globals_probe", "TRACEPOINT"), global_data=g).programs[0]
        self.attach(q.kernel_info.id, tracepoint_attach("syscalls/sys_enter_getppid"))
        trigger("getppid", 3)
        self.assertEqual(102, counter(q.info.map_pin_path, SLOT_GLOBALS))


class AttachTest(ServerTest):
    def test_tracepoint_counts_then_detach(self):
        p = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0]
        pid, maps = p.kernel_info.id, p.info.map_pin_path
        link = self.attach(pid, tracepoint_attach())
        self.assertNotEqual(0, link)
        self.assertEqual([link], list(self.call("Get", pb.GetRequest(id=pid)).info.links))
        before = counter(maps, SLOT_TRACEPOINT)
        trigger("getpid", 50)
        self.assertGreaterEqual(counter(maps, SLOT_TRACEPOINT) - before, 50)
        self.call("Detach", pb.DetachRequest(link_id=link))
        self.assertEqual([], list(self.call("Get", pb.GetRequest(id=pid)).info.links))
        before = counter(maps, SLOT_TRACEPOINT)
        trigger("getpid", 50)
        self.assertEqual(before, counter(maps, SLOT_TRACEPOINT), "counting after Detach")
        self.expect_error("second Detach", "Detach", pb.DetachRequest(link_id=link),
                          StatusCode.NOT_FOUND)

    def test_attach_twice(self):
        p = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0]
        pid = p.kernel_info.id
        l1 = self.attach(pid, tracepoint_attach())
        l2 = self.attach(pid, tracepoint_attach("syscalls/sys_enter_getppid"))
        self.assertNotEqual(l1, l2)
        self.assertEqual({l1, l2}, set(self.call("Get", pb.GetRequest(id=pid)).info.links))
        before = counter(p.info.map_pin_path, SLOT_TRACEPOINT)
        trigger("getpid", 10)
        trigger("getppid", 10)
        self.assertGreaterEqual(counter(p.info.map_pin_path, SLOT_TRACEPOINT) - before, 20,
                                "both links count")
        # the kernel keeps one copy of a program per tracepoint: a second link on the same
        # one is refused, and the refusal leaves no link record
        self.expect_error("second link on the same tracepoint", "Attach",
                          pb.AttachRequest(id=pid, attach=tracepoint_attach()),
                          StatusCode.ALREADY_EXISTS)
        self.assertEqual({l1, l2}, set(self.call("Get", pb.GetRequest(id=pid)).info.links))

    def test_kprobe_counts(self):
        require_feature("kprobe")
        p = self.load(("kprobe_counter", "KPROBE")).programs[0]
        self.attach(p.kernel_info.id,
                    pb.AttachInfo(kprobe_attach_info=pb.KprobeAttachInfo(fn_name="do_unlinkat")))
        before = counter(p.info.map_pin_path, SLOT_KPROBE)
        trigger("unlink", 10)
        self.assertGreaterEqual(counter(p.info.map_pin_path, SLOT_KPROBE) - before, 10)

    def test_uprobe_counts(self):
        require_feature("uprobe")
        p = self.load(("uprobe_counter", "UPROBE")).programs[0]
        self.check_kernel_info(p.kernel_info, "uprobe_counter", KT_PROBE)
        info = pb.UprobeAttachInfo(target=TRIGGER, fn_name="bpfman_test_target")
        self.attach(p.kernel_info.id, pb.AttachInfo(uprobe_attach_info=info))
        before = counter(p.info.map_pin_path, SLOT_UPROBE)
        trigger("func", 7)
        self.assertEqual(7, counter(p.info.map_pin_path, SLOT_UPROBE) - before)

    def test_unload_detaches_links(self):
        p = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0]
        pid = p.kernel_info.id
        link = self.attach(pid, tracepoint_attach())
        self.call("Unload", pb.UnloadRequest(id=pid))
        self.assert_gone(pid)
        self.expect_error("Detach of a link of an unloaded program", "Detach",
                          pb.DetachRequest(link_id=link), StatusCode.NOT_FOUND)
        self.expect_error("second Unload", "Unload", pb.UnloadRequest(id=pid),
                          StatusCode.NOT_FOUND, "does not exist")


def veth_pair(test, a_suffix, b_suffix):
    """A veth pair between two namespaces made here (192.0.2.0/24, TEST-NET-1), removed
    with the test: veth-a (192.0.2.1) in bpfmg-RUN-A_SUFFIX, veth-b (192.0.2.2) in
    bpfmg-RUN-B_SUFFIX. Returns the two namespace names."""
    if not shutil.which("ip") or not shutil.which("ping"):
        test.skipTest("ip or ping not installed")
    ns = ["bpfmg-%s-%s" % (RUN_ID, a_suffix), "bpfmg-%s-%s" % (RUN_ID, b_suffix)]
    for n in ns:
        try:
            run("ip", "netns", "add", n)
        except subprocess.CalledProcessError as e:
            test.skipTest("ip netns add: " + e.stderr.strip())
        test.addCleanup(subprocess.run, ["ip", "netns", "del", n], capture_output=True)
        # no IPv6: its router solicitations and DAD would cross the pair at any time,
        # and the tests count packets
        for conf in ("all", "default"):
            run("ip", "netns", "exec", n, "sh", "-c",
                "f=/proc/sys/net/ipv6/conf/%s/disable_ipv6; [ ! -e $f ] || echo 1 >$f" % conf)
    a, b = ns
    run("ip", "link", "add", "veth-a", "netns", a, "type", "veth", "peer", "name", "veth-b",
        "netns", b)
    for n, dev, addr in ((a, "veth-a", "192.0.2.1/24"), (b, "veth-b", "192.0.2.2/24")):
        run("ip", "-n", n, "addr", "add", addr, "dev", dev)
        run("ip", "-n", n, "link", "set", dev, "up")
    return ns


class NetBase(ServerTest):
    """A veth pair between two namespaces made here (192.0.2.0/24, TEST-NET-1): veth-a in
    the first one (netns_path()), veth-b in the second."""

    def setUp(self):
        super().setUp()
        self.ns = veth_pair(self, "a", "b")

    def ping(self):
        subprocess.run(["ip", "netns", "exec", self.ns[1], "ping", "-c", "5", "-i", "0.2",
                        "-W", "1", "192.0.2.1"], capture_output=True)

    def count_pings(self, prog, attach_info, slot, kernel_type):
        link = self.attach(prog.kernel_info.id, attach_info)
        self.assertNotEqual(0, link)
        got = self.call("Get", pb.GetRequest(id=prog.kernel_info.id))
        self.assertEqual(kernel_type, got.kernel_info.program_type)
        self.assertIn(prog.kernel_info.id, {r.kernel_info.id for r in self.list(
            program_type=kernel_type, bpfman_programs_only=True)})
        before = counter(prog.info.map_pin_path, slot)
        self.ping()
        self.assertGreaterEqual(counter(prog.info.map_pin_path, slot) - before, 5,
                                "packets seen on veth-a ingress")
        self.call("Detach", pb.DetachRequest(link_id=link))
        before = counter(prog.info.map_pin_path, slot)
        self.ping()
        self.assertEqual(before, counter(prog.info.map_pin_path, slot), "counting after Detach")

    def netns_path(self):
        return "/var/run/netns/" + self.ns[0]


class NetTest(NetBase):
    """TCX, XDP and TC on veth-a; the programs count the pings that the second namespace
    sends."""

    def test_tcx_ingress_counts(self):
        require_feature("tcx")
        p = self.load(("tcx_a", "TCX")).programs[0]
        self.check_kernel_info(p.kernel_info, "tcx_a", KT_TC)
        info = pb.TCXAttachInfo(iface="veth-a", direction="ingress", priority=50,
                                netns=self.netns_path())
        self.count_pings(p, pb.AttachInfo(tcx_attach_info=info), SLOT_TCX_A, KT_TC)

    def test_xdp_counts(self):
        p = self.load(("xdp_counter", "XDP")).programs[0]
        info = pb.XDPAttachInfo(iface="veth-a", priority=50, netns=self.netns_path())
        # managed XDP programs are extensions of a dispatcher; they report xdp (6)
        self.count_pings(p, pb.AttachInfo(xdp_attach_info=info), SLOT_XDP, KT_XDP)

    def test_tc_counts(self):
        p = self.load(("tcx_b", "TC")).programs[0]
        info = pb.TCAttachInfo(iface="veth-a", direction="ingress", priority=50,
                               netns=self.netns_path())
        self.count_pings(p, pb.AttachInfo(tc_attach_info=info), SLOT_TCX_B, KT_TC)

    def test_unknown_interface(self):
        p = self.load(("tcx_a", "TCX")).programs[0]
        info = pb.TCXAttachInfo(iface="nosuch0", direction="ingress", netns=self.netns_path())
        self.expect_error("TCX on an interface that does not exist", "Attach",
                          pb.AttachRequest(id=p.kernel_info.id,
                                           attach=pb.AttachInfo(tcx_attach_info=info)),
                          (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT))
        info = pb.TCXAttachInfo(iface="veth-a", direction="sideways", netns=self.netns_path())
        self.expect_error("TCX direction 'sideways'", "Attach",
                          pb.AttachRequest(id=p.kernel_info.id,
                                           attach=pb.AttachInfo(tcx_attach_info=info)),
                          StatusCode.INVALID_ARGUMENT)
        self.assertEqual([], list(self.call("Get", pb.GetRequest(id=p.kernel_info.id)).info.links))


class ListGetTest(ServerTest):
    def two_managed(self, meta_a=None, meta_b=None):
        a = self.load(("tracepoint_counter", "TRACEPOINT"), metadata=meta_a or {}).programs[0]
        b = self.load(("kprobe_counter", "KPROBE"), metadata=meta_b or {}).programs[0]
        return a.kernel_info.id, b.kernel_info.id

    def test_list_all_vs_managed(self):
        u = self.unmanaged()
        a, b = self.two_managed()
        every = self.list()
        ids = {r.kernel_info.id for r in every}
        self.assertTrue({a, b, u.id} <= ids, "List shows every kernel program")
        with_info = {r.kernel_info.id for r in every if r.HasField("info")}
        self.assertEqual({a, b}, with_info, "info only for managed programs")
        only = self.list(bpfman_programs_only=True)
        self.assertEqual({a, b}, {r.kernel_info.id for r in only})
        self.assertTrue(all(r.HasField("info") for r in only))
        # bpfman_programs_only=false is the same as unset
        ids_false = {r.kernel_info.id for r in self.list(bpfman_programs_only=False)}
        self.assertTrue({a, b, u.id} <= ids_false)

    def test_list_program_type(self):
        u = self.unmanaged()
        a, b = self.two_managed()
        self.assertEqual({a}, self.managed_ids(program_type=KT_TRACEPOINT))
        self.assertEqual({b}, self.managed_ids(program_type=KT_PROBE))
        self.assertEqual(set(), self.managed_ids(program_type=KT_SOCKET_FILTER))
        tps = self.list(program_type=KT_TRACEPOINT)
        self.assertTrue(all(r.kernel_info.program_type == KT_TRACEPOINT for r in tps))
        self.assertIn(a, {r.kernel_info.id for r in tps})
        self.assertNotIn(b, {r.kernel_info.id for r in tps})
        filters = self.list(program_type=KT_SOCKET_FILTER)
        self.assertIn(u.id, {r.kernel_info.id for r in filters})
        # BpfmanProgramType.TRACEPOINT is 2, the kernel's probe: the filter is kernel numbering
        self.assertEqual({b}, self.managed_ids(program_type=2))

    def test_list_match_metadata(self):
        self.unmanaged()
        a, b = self.two_managed({"app": "alpha", "tier": "one"}, {"app": "beta", "tier": "one"})
        cases = [({"app": "alpha"}, {a}),
                 ({"tier": "one"}, {a, b}),
                 ({"app": "alpha", "tier": "one"}, {a}),
                 ({"app": "alpha", "tier": "two"}, set()),
                 ({"app": "gamma"}, set()),
                 ({"ap": "alpha"}, set())]
        for sel, want in cases:
            self.assertEqual(want, self.managed_ids(match_metadata=sel), sel)
            # a selector excludes programs the manager did not load, even without *_only
            got = {r.kernel_info.id for r in self.list(match_metadata=sel)}
            self.assertEqual(want, got, "%s without bpfman_programs_only" % sel)

    def test_get_managed(self):
        p = self.load(("tracepoint_counter", "TRACEPOINT"), metadata={"k": "v"}).programs[0]
        g = self.call("Get", pb.GetRequest(id=p.kernel_info.id))
        self.assertTrue(g.HasField("info"))
        self.assertEqual(p.info, g.info)
        for f in ("id", "name", "program_type", "loaded_at", "tag", "map_ids", "btf_id",
                  "gpl_compatible"):
            self.assertEqual(getattr(p.kernel_info, f), getattr(g.kernel_info, f), f)

    def test_get_unmanaged(self):
        u = self.unmanaged()
        g = self.call("Get", pb.GetRequest(id=u.id))
        self.assertFalse(g.HasField("info"), "info for a program the manager did not load")
        self.assertEqual(u.id, g.kernel_info.id)
        self.assertEqual(KT_SOCKET_FILTER, g.kernel_info.program_type)
        self.assertEqual(UnmanagedProgram.NAME, g.kernel_info.name)
        self.assertEqual(u.tag, g.kernel_info.tag, "tag as 16 lowercase hex digits")
        # an unmanaged program is not the manager's to unload
        self.expect_error("Unload of an unmanaged program", "Unload", pb.UnloadRequest(id=u.id),
                          (StatusCode.NOT_FOUND, StatusCode.FAILED_PRECONDITION,
                           StatusCode.INVALID_ARGUMENT, StatusCode.PERMISSION_DENIED))
        self.assertEqual(u.id, self.call("Get", pb.GetRequest(id=u.id)).kernel_info.id)

    def test_unload_then_get(self):
        pid = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0].kernel_info.id
        self.call("Unload", pb.UnloadRequest(id=pid))
        self.assert_gone(pid)
        self.assertNotIn(pid, {r.kernel_info.id for r in self.list()})


class ErrorTest(ServerTest):
    """Every failure has its proper status code, keeps the reference's phrases and leaves
    nothing behind (checked by the cleanup ServerTest.setUp registers)."""

    def test_unload_unknown(self):
        self.expect_error("Unload unknown id", "Unload", pb.UnloadRequest(id=NO_SUCH_ID),
                          StatusCode.NOT_FOUND, "does not exist")

    def test_get_unknown(self):
        self.expect_error("Get unknown id", "Get", pb.GetRequest(id=NO_SUCH_ID),
                          StatusCode.NOT_FOUND, "does not exist")

    def test_detach_unknown(self):
        self.expect_error("Detach unknown link", "Detach", pb.DetachRequest(link_id=NO_SUCH_ID),
                          StatusCode.NOT_FOUND)

    def test_attach_unknown_program(self):
        self.expect_error("Attach to unknown id", "Attach",
                          pb.AttachRequest(id=NO_SUCH_ID, attach=tracepoint_attach()),
                          StatusCode.NOT_FOUND, "does not exist")

    def test_attach_mismatched_variant(self):
        tp = self.load(("tracepoint_counter", "TRACEPOINT")).programs[0].kernel_info.id
        kp = self.load(("kprobe_counter", "KPROBE")).programs[0].kernel_info.id
        kprobe_info = pb.AttachInfo(kprobe_attach_info=pb.KprobeAttachInfo(fn_name="do_unlinkat"))
        self.expect_error("kprobe info for a tracepoint program", "Attach",
                          pb.AttachRequest(id=tp, attach=kprobe_info), StatusCode.INVALID_ARGUMENT)
        self.expect_error("tracepoint info for a kprobe program", "Attach",
                          pb.AttachRequest(id=kp, attach=tracepoint_attach()),
                          StatusCode.INVALID_ARGUMENT)
        self.expect_error("xdp info for a tracepoint program", "Attach",
                          pb.AttachRequest(id=tp, attach=pb.AttachInfo(
                              xdp_attach_info=pb.XDPAttachInfo(iface="lo"))),
                          StatusCode.INVALID_ARGUMENT)
        self.expect_error("no AttachInfo variant", "Attach",
                          pb.AttachRequest(id=tp, attach=pb.AttachInfo()),
                          StatusCode.INVALID_ARGUMENT)
        self.expect_error("no AttachInfo", "Attach", pb.AttachRequest(id=tp),
                          StatusCode.INVALID_ARGUMENT)
        self.expect_error("tracepoint that does not exist", "Attach",
                          pb.AttachRequest(id=tp, attach=tracepoint_attach("nosuch/nothing")),
                          (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT))
        for pid in (tp, kp):
            self.assertEqual([], list(self.call("Get", pb.GetRequest(id=pid)).info.links))

    def test_load_bad_global_data(self):
        either = (StatusCode.INVALID_ARGUMENT, StatusCode.NOT_FOUND)
        self.expect_error("unknown global", "Load",
                          load_request(("tracepoint_counter", "TRACEPOINT"),
                                       global_data={"nosuch": b"\x01"}), either, "nosuch")
        self.expect_error("global of the wrong size", "Load",
                          load_request(("tracepoint_counter", "TRACEPOINT"),
                                       global_data={"increment": b"\x01\x00\x00\x00"}),
                          StatusCode.INVALID_ARGUMENT, "increment")

    def test_load_missing_file(self):
        path = os.path.join(os.path.dirname(OBJ), "no-such-object-%s.o" % RUN_ID)
        e = self.expect_error("missing file", "Load",
                              load_request(("tracepoint_counter", "TRACEPOINT"), file=path),
                              (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT))
        self.assertTrue(re.search(r"no-such-object|No such file|does not exist", e.details()),
                        "message names neither the file nor the cause: " + e.details())

    def test_load_unknown_function(self):
        self.expect_error("function not in the object", "Load",
                          load_request(("no_such_function", "TRACEPOINT")),
                          (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT), "no_such_function")

    def test_load_empty_info(self):
        self.expect_error("Load with no LoadInfo", "Load", load_request(),
                          StatusCode.INVALID_ARGUMENT)

    def test_load_no_bytecode(self):
        req = pb.LoadRequest(info=[pb.LoadInfo(name="tracepoint_counter",
                                               program_type=PT("TRACEPOINT"))])
        self.expect_error("Load with no bytecode location", "Load", req,
                          StatusCode.INVALID_ARGUMENT)

    def test_load_all_or_nothing(self):
        bad_fentry = pb.LoadInfo(name="fentry_counter", program_type=PT("FENTRY"),
                                 info=pb.ProgSpecificInfo(fentry_load_info=pb.FentryLoadInfo(
                                     fn_name="bpfman_no_such_kernel_function")))
        self.expect_error("second program's attach function missing", "Load",
                          load_request(("tracepoint_counter", "TRACEPOINT"), bad_fentry),
                          (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT), "fentry_counter")
        self.assert_nothing_left()
        self.expect_error("second program not in the object", "Load",
                          load_request(("tracepoint_counter", "TRACEPOINT"),
                                       ("no_such_function", "KPROBE")),
                          (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT), "no_such_function")

    def test_load_fentry_without_function(self):
        self.expect_error("fentry with no ProgSpecificInfo", "Load",
                          load_request(("fentry_counter", "FENTRY")), StatusCode.INVALID_ARGUMENT)

    def test_load_unknown_map_owner(self):
        self.expect_error("map_owner_id of no program", "Load",
                          load_request(("tracepoint_counter", "TRACEPOINT"),
                                       map_owner_id=NO_SUCH_ID),
                          (StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT))

    def test_oversized_request(self):
        req = load_request(("tracepoint_counter", "TRACEPOINT"),
                           metadata={"big": "x" * (5 << 20)})
        self.expect_error("5 MiB LoadRequest", "Load", req, StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual([], self.list(bpfman_programs_only=True), "the server still answers")

    def test_pull_bytecode(self):
        req = pb.PullBytecodeRequest(image=pb.BytecodeImage(
            url="127.0.0.1:1/bpfman-grpc-test/none:latest", image_pull_policy=1))
        # nothing listens on port 1: the registry cannot be reached (test_image.py: the rest)
        e = self.expect_error("PullBytecode", "PullBytecode", req, StatusCode.UNAVAILABLE)
        self.assertTrue(e.details(), "no message with " + e.code().name)

    def test_unknown_method(self):
        ch = channel()
        self.addCleanup(ch.close)
        for name in (SVC + "Nope", "/bpfman.v1.Nope/Load", "/x/y"):
            self.expect_error(name, ch.unary_unary(name), b"", StatusCode.UNIMPLEMENTED)

    def test_garbage_request(self):
        ch = channel()
        self.addCleanup(ch.close)
        # field 1 declared as a length-delimited string of 100 bytes, but 3 bytes follow
        self.expect_error("undecodable LoadRequest", ch.unary_unary(SVC + "Load"),
                          b"\x0a\x64abc", (StatusCode.INVALID_ARGUMENT, StatusCode.INTERNAL))
        self.assertEqual([], self.list(bpfman_programs_only=True), "the server still answers")


class ConcurrencyTest(ServerTest):
    ROUNDS = 10

    def test_two_clients_and_cli(self):
        """Two gRPC clients (own channels) and the CLI load and unload at once. Each round
        loads two programs and unloads one, so after the rounds each worker holds ROUNDS
        programs; then all unload at once. A lost update shows as a wrong final count."""
        if not os.access(CLI, os.X_OK):
            self.skipTest("no CLI at " + CLI)
        errors, kept = [], {}
        start = threading.Barrier(3)

        def grpc_worker(name):
            ch = channel()
            c = pb_grpc.BpfmanStub(ch)
            mine = []
            try:
                start.wait()
                for i in range(self.ROUNDS):
                    ids = [c.Load(load_request(("tracepoint_counter", "TRACEPOINT"),
                                               metadata={"worker": name, "round": str(i)}),
                                  timeout=DEADLINE).programs[0].kernel_info.id for _ in (0, 1)]
                    mine.append(ids[0])
                    c.Unload(pb.UnloadRequest(id=ids[1]), timeout=DEADLINE)
            except Exception as e:  # reported by the main thread
                errors.append("%s: %r" % (name, e))
            finally:
                kept[name] = mine
                ch.close()

        def cli(*args):
            return run(CLI, *args, env=dict(os.environ, BPFMAN_ROOT=ROOT))

        def cli_worker():
            mine = []
            try:
                start.wait()
                for i in range(self.ROUNDS):
                    ids = [json.loads(cli("load", "file", "-o", "json", "-p", OBJ, "--programs",
                                          "tracepoint:tracepoint_counter", "-m", "worker=cli"))
                           [0]["kernel"]["id"] for _ in (0, 1)]
                    mine.append(ids[0])
                    cli("unload", str(ids[1]))
            except Exception as e:
                errors.append("cli: %r %s" % (e, getattr(e, "stderr", "")))
            finally:
                kept["cli"] = mine

        threads = [threading.Thread(target=grpc_worker, args=(n,)) for n in ("one", "two")]
        threads.append(threading.Thread(target=cli_worker))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        for ids in kept.values():
            for pid in ids:
                self.addCleanup(self.unload_quietly, pid)
        self.assertEqual([], errors)
        want = set().union(*kept.values())
        self.assertEqual(3 * self.ROUNDS, len(want))
        self.assertEqual(want, self.managed_ids(), "gRPC view after the rounds")
        for name in ("one", "two", "cli"):
            self.assertEqual(set(kept[name]), self.managed_ids(match_metadata={"worker": name}))
        cli_view = {p["kernel"]["id"] for p in json.loads(cli("list", "programs", "-o", "json"))}
        self.assertEqual(want, cli_view, "CLI view after the rounds")

        # now everything goes at once
        def unload_all(name):
            try:
                ch = channel()
                c = pb_grpc.BpfmanStub(ch)
                for pid in kept[name]:
                    c.Unload(pb.UnloadRequest(id=pid), timeout=DEADLINE)
                ch.close()
            except Exception as e:
                errors.append("unload %s: %r" % (name, e))

        def unload_cli():
            try:
                for pid in kept["cli"]:
                    cli("unload", str(pid))
            except Exception as e:
                errors.append("cli unload: %r %s" % (e, getattr(e, "stderr", "")))

        threads = [threading.Thread(target=unload_all, args=(n,)) for n in ("one", "two")]
        threads.append(threading.Thread(target=unload_cli))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        self.assertEqual([], errors)
        self.assertEqual(set(), self.managed_ids())


class SocketTest(ServerTest):
    def test_socket_mode(self):
        st = os.stat(SOCKET)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual("0o660", oct(st.st_mode & 0o7777))


class ServerProcess(unittest.TestCase):
    """Base of tests that run bpfman-rpc as a process, each test with servers of its own: own
    root, own socket, so the shared server of the other tests is not disturbed."""

    def setUp(self):
        if not os.access(RPC, os.X_OK):
            self.skipTest("no server binary at " + RPC)
        self.tmp = tempfile.mkdtemp(prefix="bpfman-grpc-srv.")
        self.root = os.path.join(self.tmp, "root")
        self.sock = os.path.join(self.tmp, "sock", "bpfman.sock")
        os.makedirs(os.path.dirname(self.sock))
        self.log = os.path.join(self.tmp, "server.log")
        self.addCleanup(self.release)

    def release(self):
        # unmounting the private bpffs frees whatever a failed test left pinned in it
        fs = os.path.join(self.root, "run", "bpfman", "fs")
        while os.path.ismount(fs):
            if subprocess.run(["umount", fs]).returncode != 0:
                break
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, *args, listen_fd=None, umask=-1):
        env = dict(os.environ, BPFMAN_ROOT=self.root)
        with open(self.log, "ab") as log:
            if listen_fd is None:
                proc = subprocess.Popen([RPC, "--socket-path", self.sock, *args], env=env,
                                        stdout=log, stderr=log, umask=umask)
            else:
                # systemd's protocol: the socket is fd 3 and LISTEN_PID names the server,
                # which keeps the shell's pid through exec
                script = 'exec 3<&%d %d<&-; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"' % (
                    listen_fd, listen_fd)
                proc = subprocess.Popen(["/bin/bash", "-c", script, RPC, *args], env=env,
                                        stdout=log, stderr=log, pass_fds=(listen_fd,))
        self.addCleanup(self.kill, proc)
        for _ in range(100):
            if os.path.exists(self.sock) or proc.poll() is not None:
                break
            time.sleep(0.1)
        self.assertIsNone(proc.poll(), "server exited at start: " + self.server_log())
        return proc

    def kill(self, proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self, proc):
        proc.send_signal(15)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("server still runs 10 s after SIGTERM")
        self.assertEqual(0, rc, "exit status after SIGTERM; log: " + self.server_log())

    @staticmethod
    def server_sockets(proc):
        """How many Unix sockets the server holds: its listener and its connections (not
        its rtnetlink socket for link events)."""
        with open("/proc/%d/net/unix" % proc.pid) as f:
            unix = {line.split()[6] for line in list(f)[1:] if len(line.split()) > 6}
        fds = "/proc/%d/fd" % proc.pid
        n = 0
        for f in os.listdir(fds):
            try:
                target = os.readlink(os.path.join(fds, f))
            except FileNotFoundError:
                continue  # closed meanwhile
            n += target.startswith("socket:[") and target[8:-1] in unix
        return n

    def server_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-2000:]

    def client(self):
        ch = grpc.insecure_channel("unix://" + self.sock)
        grpc.channel_ready_future(ch).result(timeout=DEADLINE)
        self.addCleanup(ch.close)
        return ch, pb_grpc.BpfmanStub(ch)


class ServerProcessTest(ServerProcess):
    """bpfman-rpc as a process (contract section 8)."""

    def test_inactivity_timeout(self):
        proc = self.start("--timeout", "2")
        ch, c = self.client()
        # requests every 0.5 s for 4 s keep it alive: the timeout is one of inactivity
        for _ in range(8):
            c.List(pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE)
            time.sleep(0.5)
        self.assertIsNone(proc.poll(), "exited while requests kept coming")
        ch.close()
        idle = time.monotonic()
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("still running 10 s after the last request with --timeout 2")
        took = time.monotonic() - idle
        self.assertEqual(0, rc, self.server_log())
        self.assertGreater(took, 1.0, "exited before the timeout")
        self.assertLess(took, 6.0, "exited long after the timeout")

    def test_connection_limit(self):
        # 80 connections of one process, each used once and kept: every one is served (the
        # process's oldest idle connection makes room), and the server never holds more
        # than its per-process cap (16) of them
        proc = self.start()
        opts = [("grpc.use_local_subchannel_pool", 1)]  # one connection per channel
        chans = []
        for _ in range(80):
            ch = grpc.insecure_channel("unix://" + self.sock, options=opts)
            chans.append(ch)
            pb_grpc.BpfmanStub(ch).List(pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE)
        for _ in range(50):  # grpc closes a shut-down connection's fd a moment later
            held = self.server_sockets(proc)
            if held <= 1 + 16:
                break
            time.sleep(0.1)
        self.assertLessEqual(held, 1 + 16, "server holds %d sockets (listener + connections)" % held)
        for ch in chans:
            ch.close()
        ch, c = self.client()
        c.List(pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE)
        ch.close()
        self.stop(proc)

    def test_socket_activation(self):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(self.sock)
        listener.listen(16)
        proc = self.start(listen_fd=listener.fileno())
        listener.close()
        ch, c = self.client()
        self.assertEqual([], list(c.List(pb.ListRequest(bpfman_programs_only=True),
                                          timeout=DEADLINE).results))
        ch.close()
        self.stop(proc)

    def test_programs_outlive_the_server(self):
        proc = self.start("--timeout", "0")
        ch, c = self.client()
        p = c.Load(load_request(("tracepoint_counter", "TRACEPOINT")), timeout=DEADLINE).programs[0]
        pid = p.kernel_info.id
        link = c.Attach(pb.AttachRequest(id=pid, attach=tracepoint_attach()),
                        timeout=DEADLINE).link_id
        ch.close()
        self.stop(proc)
        # still loaded and attached: pins hold them, not the process
        before = counter(p.info.map_pin_path, SLOT_TRACEPOINT)
        trigger("getpid", 10)
        self.assertGreaterEqual(counter(p.info.map_pin_path, SLOT_TRACEPOINT) - before, 10)
        # a new server on the same root knows them
        proc = self.start("--timeout", "0")
        ch, c = self.client()
        got = c.Get(pb.GetRequest(id=pid), timeout=DEADLINE)
        self.assertTrue(got.HasField("info"))
        self.assertEqual([link], list(got.info.links))
        self.assertEqual({pid}, {r.kernel_info.id for r in c.List(
            pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE).results})
        c.Unload(pb.UnloadRequest(id=pid), timeout=DEADLINE)
        self.assertEqual([], list(c.List(pb.ListRequest(bpfman_programs_only=True),
                                          timeout=DEADLINE).results))
        ch.close()
        self.stop(proc)


class ContractDescriptorTest(unittest.TestCase):
    """The project's proto and the one built from the contract describe the same messages
    (names, numbers, types, labels, presence, oneofs), enum and service. Run once (project
    flavour): it needs no server."""

    @staticmethod
    def describe(path):
        from google.protobuf import descriptor_pb2
        fds = descriptor_pb2.FileDescriptorSet()
        with open(path, "rb") as f:
            fds.ParseFromString(f.read())
        (fd,) = fds.file
        out = {"package": fd.package}

        def message(m, prefix):
            oneofs = [o.name for o in m.oneof_decl]
            for f in m.field:
                synthetic = f.proto3_optional
                oneof = oneofs[f.oneof_index] if f.HasField("oneof_index") and not synthetic else ""
                out["%s%s.%s" % (prefix, m.name, f.name)] = (
                    f.number, f.type, f.label, f.type_name, f.proto3_optional, oneof)
            for n in m.nested_type:
                if n.options.map_entry:
                    out["map %s%s.%s" % (prefix, m.name, n.name)] = [
                        (x.name, x.number, x.type, x.type_name) for x in n.field]
                else:
                    message(n, prefix + m.name + ".")
            out["message " + prefix + m.name] = len(m.field)

        for m in fd.message_type:
            message(m, "")
        for e in fd.enum_type:
            out["enum " + e.name] = [(v.name, v.number) for v in e.value]
        for s in fd.service:
            out["service " + s.name] = [(x.name, x.input_type, x.output_type) for x in s.method]
        return out

    def test_project_proto_matches_contract(self):
        paths = os.environ.get("BPFMAN_GRPC_DESCRIPTORS", "")
        if ":" not in paths:
            self.skipTest("BPFMAN_GRPC_DESCRIPTORS not set")
        project, contract = (self.describe(p) for p in paths.split(":", 1))
        diff = ["%s: project %s, contract %s" % (k, project.get(k), contract.get(k))
                for k in sorted(set(project) | set(contract)) if project.get(k) != contract.get(k)]
        self.assertEqual([], diff)


class Result(unittest.TestResult):
    """One line per test method, however many failures it collects (cleanups included)."""

    def __init__(self):
        super().__init__()
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    def startTest(self, test):
        super().startTest(test)
        self._t0, self._status, self._notes = time.monotonic(), "ok", []

    def _name(self, test):
        return "%s/%s.%s" % (FLAVOUR, type(test).__name__, test._testMethodName)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._status = "FAIL"
        self._notes.append("".join(traceback.format_exception(*err)))

    addError = addFailure

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if self._status == "ok":
            self._status = "skip: " + reason

    def stopTest(self, test):
        super().stopTest(test)
        took = time.monotonic() - self._t0
        if self._status == "ok":
            self.counts["passed"] += 1
            print("ok %s (%.1fs)" % (self._name(test), took), flush=True)
        elif self._status == "FAIL":
            self.counts["failed"] += 1
            print("FAIL %s (%.1fs)" % (self._name(test), took), flush=True)
            for note in self._notes:
                print("    | " + note.rstrip().replace("\n", "\n    | "), flush=True)
        else:
            self.counts["skipped"] += 1
            print("skip %s: %s" % (self._name(test), self._status[6:]), flush=True)


def main(argv):
    classes = [LoadTest, AttachTest, NetTest, ListGetTest, ErrorTest, ConcurrencyTest,
               SocketTest, ServerProcessTest]
    if FLAVOUR == "project":
        classes.append(ContractDescriptorTest)
    return run_tests(argv, sys.modules[__name__], classes)


def own_tests(cls):
    """The test methods a class defines itself, not those it inherits."""
    return unittest.TestSuite(cls(n) for n in sorted(vars(cls)) if n.startswith("test_"))


def run_tests(argv, module, classes, own_only=False):
    """Runs the tests named in ARGV (Class or Class.test_method of MODULE), else every test
    of CLASSES, with one line per test and the SUMMARY line; the exit status. Other test
    files of this directory run through here too. own_only: a class runs only the tests it
    defines itself (for classes that reuse another's setup by inheriting it), and ARGV names
    only CLASSES."""
    loader = unittest.TestLoader()
    if own_only:
        mine = {c.__name__ for c in classes}
        names = [n for n in argv if n.split(".")[0] in mine]
        if argv:
            suite = unittest.TestSuite(
                own_tests(getattr(module, n)) if "." not in n else
                loader.loadTestsFromName(n, module) for n in names)
        else:
            suite = unittest.TestSuite(own_tests(c) for c in classes)
    elif argv:
        # run.sh hands every name to each test file: take this file's own
        suite = unittest.TestSuite(loader.loadTestsFromName(n, module) for n in argv
                                   if hasattr(module, n.split(".")[0]))
    else:
        suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in classes)
    result = Result()
    try:
        stub()  # a server that never answers is one failure, not one per test
    except grpc.FutureTimeoutError:
        print("FAIL %s/connect: no server on %s within %d s" % (FLAVOUR, SOCKET, DEADLINE))
        print("SUMMARY flavour=%s passed=0 failed=1 skipped=0" % FLAVOUR)
        return 1
    suite.run(result)
    c = result.counts
    print("SUMMARY flavour=%s passed=%d failed=%d skipped=%d"
          % (FLAVOUR, c["passed"], c["failed"], c["skipped"]), flush=True)
    return 1 if c["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
