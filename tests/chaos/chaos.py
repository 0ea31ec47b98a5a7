#!/usr/bin/python3
"""The crash test: random operations through bpfman-rpc and the CLI, with random SIGKILLs
of either, on a root, a server, and a veth pair between two namespaces of its own.

Each operation (load, attach, detach, unload, list, get, or one on an id that does not
exist) goes at random over gRPC or the CLI. Some are killed: the CLI after a random
0-30 ms, or the server in the middle of the request (then restarted). A killed operation
has an unknown outcome, so after every kill the next command (the CLI: a writer command,
which reconciles; the server: its start-up, which reconciles) must leave records, pins and
the kernel agreeing, and what the killed operation was working on must be either fully
there or fully gone. Every operation that succeeded is remembered: what it created must
still be there until the test removes it (else it is "lost").

The random choices are drawn in a fixed number per operation from one seeded generator,
so a seed replays the same choices as long as the kills land at the same points (their
timing is the only thing a seed does not fix).

Environment (run.sh sets it): CHAOS_STUBS (generated bpfman_pb2*.py), BPFMAN_BUILD.
Prints findings as they happen, then
  operations=N kills=K repairs=R orphans=O lost=L
  RESULT kernel=chaos passed=N failed=N skipped=0
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import grpc

import invariants

sys.path.insert(0, os.environ["CHAOS_STUBS"])
import bpfman_pb2 as pb  # noqa: E402  (generated at run time)
import bpfman_pb2_grpc as pb_grpc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("BPFMAN_BUILD") or os.path.join(HERE, "..", "..", "build")
CLI = os.path.join(BUILD, "src", "cli", "bpfman")
RPC = os.path.join(BUILD, "src", "rpc", "bpfman-rpc")
COUNTERS = os.path.join(BUILD, "bpf", "counters.bpf.o")
XDP_PASS = os.path.join(BUILD, "bpf", "xdp_pass.bpf.o")
TRIGGER = os.path.join(BUILD, "tests", "helpers", "trigger")

NO_SUCH_ID = 0xFFFFFFF0
CALL_TIMEOUT = 30  # seconds: any command or call that takes longer is a hang
MAX_PROGS, MAX_LINKS = 12, 24
KILL_CLI, KILL_SERVER = 0.25, 0.12  # chance that a CLI command / a server call is killed
KILL_WINDOW = 0.030  # seconds

# (kind, function, object): what a load picks from (bpf/counters.bpf.c, bpf/xdp_pass.bpf.c)
PROGRAMS = [("tracepoint", "tracepoint_counter", COUNTERS), ("uprobe", "uprobe_counter", COUNTERS),
            ("xdp", "xdp_counter", COUNTERS), ("tc", "tcx_a", COUNTERS), ("tc", "tcx_b", COUNTERS),
            ("tcx", "tcx_b", COUNTERS), ("tcx", "tcx_c", COUNTERS), ("xdp", "xdp_pass", XDP_PASS)]
PB_TYPE = {"tracepoint": "TRACEPOINT", "uprobe": "UPROBE", "xdp": "XDP", "tc": "TC", "tcx": "TCX"}
TYPE_NAMES = {0: "xdp", 1: "tc", 2: "tracepoint", 4: "uprobe", 7: "tcx"}  # enum bpfman_prog_type
TRACEPOINTS = ["syscalls/sys_enter_getpid", "syscalls/sys_enter_getppid"]


def log(msg):
    print(msg, flush=True)


class Failure(Exception):
    pass


class Env:
    """The test's own root, namespaces, veth pair, uprobe target and server."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="bpfman-chaos.")
        self.root = os.path.join(self.tmp, "root")
        os.mkdir(self.root)
        self.sock = os.path.join(self.tmp, "sock", "bpfman.sock")
        os.mkdir(os.path.dirname(self.sock))
        self.server_log = os.path.join(self.tmp, "server.log")
        self.log_offset = 0
        self.server = None
        self.channel = None
        self.stub = None
        pid = os.getpid()
        self.netns = ["bpfmc-%d-a" % pid, "bpfmc-%d-b" % pid]
        self.ifaces = ["chx%da" % pid, "chx%db" % pid]
        self.target = os.path.join(self.tmp, "uprobe-target")
        shutil.copy2(TRIGGER, self.target)  # a binary of our own: its uprobes are ours alone

    def netns_path(self, i):
        return "/var/run/netns/" + self.netns[i]

    def hooks(self):
        return [(self.netns[i], self.netns_path(i), self.ifaces[i]) for i in (0, 1)]

    def make_net(self):
        for n in self.netns:
            sh("ip", "netns", "add", n)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", n, "link", "set", "lo", "up")
        sh("ip", "link", "add", self.ifaces[0], "netns", self.netns[0], "type", "veth",
           "peer", "name", self.ifaces[1], "netns", self.netns[1])
        for i, addr in ((0, "192.0.2.1/24"), (1, "192.0.2.2/24")):
            sh("ip", "-n", self.netns[i], "addr", "add", addr, "dev", self.ifaces[i])
            sh("ip", "-n", self.netns[i], "link", "set", self.ifaces[i], "up")

    def start_server(self):
        """Starts bpfman-rpc (its start-up reconciles) and waits until it answers List."""
        with open(self.server_log, "a") as logf:
            self.server = subprocess.Popen([RPC, "--socket-path", self.sock, "--timeout", "0"],
                                           stderr=logf, stdout=logf,
                                           env=dict(os.environ, BPFMAN_ROOT=self.root))
        if self.channel:
            self.channel.close()
        deadline = time.monotonic() + CALL_TIMEOUT
        while True:
            if self.server.poll() is not None:
                raise Failure("bpfman-rpc exited with %s at start-up:\n%s" %
                              (self.server.returncode, self.server_log_tail()))
            if os.path.exists(self.sock):
                self.channel = grpc.insecure_channel("unix://" + self.sock)
                self.stub = pb_grpc.BpfmanStub(self.channel)
                try:
                    self.stub.List(pb.ListRequest(bpfman_programs_only=True), timeout=2,
                                   wait_for_ready=True)
                    return
                except grpc.RpcError:
                    self.channel.close()
            if time.monotonic() > deadline:
                raise Failure("bpfman-rpc did not answer within %d s:\n%s" %
                              (CALL_TIMEOUT, self.server_log_tail()))
            time.sleep(0.05)

    def kill_server(self):
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()

    def server_repairs(self):
        """Repairs the server reported since the last call (its log, one line each)."""
        with open(self.server_log) as f:
            f.seek(self.log_offset)
            text = f.read()
            self.log_offset = f.tell()
        return text.count("repairing")

    def server_log_tail(self):
        with open(self.server_log) as f:
            return "".join("    | " + line for line in f.readlines()[-20:])

    def cleanup(self):
        """Unloads what is left, stops the server, removes namespaces, bpffs and files.
        Best effort: it also runs after a failure."""
        try:
            for pid in list_ids(self.root):
                subprocess.run([CLI, "--root", self.root, "unload", str(pid)],
                               capture_output=True, timeout=CALL_TIMEOUT)
        except Exception as e:  # noqa: BLE001  (cleanup goes on whatever happened)
            log("cleanup: unload: %s" % e)
        if self.channel:
            self.channel.close()
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.kill_server()
        for n in self.netns:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        fs = os.path.join(self.root, "run", "bpfman", "fs")
        while os.path.ismount(fs):
            if subprocess.run(["umount", fs], capture_output=True).returncode != 0:
                break
        shutil.rmtree(self.tmp, ignore_errors=True)


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=CALL_TIMEOUT)
    if r.returncode != 0:
        raise Failure("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def list_ids(root):
    out = subprocess.run([CLI, "--root", root, "list", "programs", "-o", "json"],
                         capture_output=True, text=True, timeout=CALL_TIMEOUT).stdout
    return [int(x) for x in re.findall(r'"kernel":\s*{\s*"id":\s*(\d+)', out)]


class Outcome:
    """ok: it succeeded; killed: it may or may not have happened; else err is the error.
    kill_sent: a process died by our SIGKILL during it (even when the answer came first)."""

    def __init__(self, ok=False, killed=False, err="", value=None, kill_sent=False):
        self.ok, self.killed, self.err, self.value = ok, killed, err, value
        self.kill_sent = kill_sent or killed


class Chaos:
    def __init__(self, env, seed, n_ops, verbose):
        self.env, self.seed, self.n_ops, self.verbose = env, seed, n_ops, verbose
        self.rnd = random.Random(seed)
        self.progs = {}  # acknowledged programs: id -> kind
        self.links = {}  # acknowledged links: id -> {"prog", "kind", "hook"}
        self.seen = set()  # every program id ever seen as managed
        self.ops = self.kills = self.repairs = 0
        self.orphans = {}  # key -> text, first seen
        self.lost = {}
        self.unexpected = []
        self.checks = []  # (name, passed, detail)
        self.history = []  # the last operations, for the reproduction of a finding
        self.durations = {}  # (via, op) -> the last durations of that operation, seconds
        self.cur_op = self.cur_kill = None
        self.departed = []  # (when, program, hook) of links the test removed
        self.notes = []  # refusals explained by a detach the kernel had not finished

    # ---- front ends ----

    def cli(self, args, kill):
        """Runs the CLI; kill: None, or the delay after which it gets SIGKILL."""
        p = subprocess.Popen([CLI, "--root", self.env.root] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        killed = False
        if kill is not None:
            time.sleep(kill)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed = True
        try:
            out, err = p.communicate(timeout=CALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            self.unexpect("hang", "bpfman %s: no answer in %d s" % (" ".join(args), CALL_TIMEOUT))
            return Outcome(err="hang")
        self.repairs += err.count("repairing")
        if killed and p.returncode == -signal.SIGKILL:
            return Outcome(killed=True)
        if p.returncode == 0:
            return Outcome(ok=True, value=out)
        return Outcome(err=err.strip() or "exit %d" % p.returncode)

    def rpc(self, method, req, kill):
        fut = getattr(self.env.stub, method).future(req, timeout=CALL_TIMEOUT)
        killed = False
        if kill is not None:
            time.sleep(kill)
            if not fut.done():
                self.env.kill_server()
                killed = True
        try:
            return Outcome(ok=True, value=fut.result(), kill_sent=killed)
        except grpc.RpcError as e:
            if killed:
                return Outcome(killed=True)
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                self.unexpect("hang", "%s: no answer in %d s" % (method, CALL_TIMEOUT))
            return Outcome(err="%s: %s" % (e.code().name, e.details()))
        finally:
            if killed:
                self.env.start_server()
                self.repairs += self.env.server_repairs()

    # ---- operations: each returns (description, outcome, what it was about) ----

    def op_load(self, r, via):
        n = 1 + int(r[2] * 3)
        pool = [p for p in PROGRAMS if p[2] == COUNTERS]
        picks = [PROGRAMS[int(r[3] * len(PROGRAMS))]]
        if picks[0][2] == COUNTERS:
            picks += [pool[int(x * len(pool))] for x in r[4:4 + n - 1]]
        picks = list({p[1]: p for p in picks}.values())  # a function once per load
        obj = picks[0][2]
        desc = "load %s %s" % (os.path.basename(obj), " ".join("%s:%s" % p[:2] for p in picks))
        if via == "cli":
            args = ["load", "file", "-o", "json", "-p", obj, "--programs"]
            args += ["%s:%s" % p[:2] for p in picks]
            o = self.cli(args, self.cur_kill)
            if o.ok:
                o.value = [int(x) for x in re.findall(r'"kernel":\s*{\s*"id":\s*(\d+)', o.value)]
        else:
            req = pb.LoadRequest(bytecode=pb.BytecodeLocation(file=obj), info=[
                pb.LoadInfo(name=f, program_type=pb.BpfmanProgramType.Value(PB_TYPE[k]))
                for k, f, _ in picks])
            o = self.rpc("Load", req, self.cur_kill)
            if o.ok:
                o.value = [p.kernel_info.id for p in o.value.programs]
        if o.ok:
            if len(o.value) != len(picks):
                self.unexpect("load", "%s gave %d ids for %d programs" %
                              (desc, len(o.value), len(picks)))
            for pid, (kind, _, _) in zip(o.value, picks):
                self.progs[pid] = kind
                self.seen.add(pid)
        elif not o.killed:
            self.unexpect("load", "%s: %s" % (desc, o.err))
        return desc, o, None

    def op_attach(self, r, via):
        pid = self.pick(sorted(self.progs), r[2])
        kind = self.progs[pid]
        i = int(r[3] * 2)
        netns, iface = self.env.netns_path(i), self.env.ifaces[i]
        direction = "ingress" if r[4] < 0.5 else "egress"
        prio = 1 + int(r[5] * 1000)
        hook = None
        if kind == "tracepoint":
            tp = TRACEPOINTS[int(r[3] * len(TRACEPOINTS))]
            hook = ("tracepoint", tp)
            args, info = ["-t", tp], pb.AttachInfo(
                tracepoint_attach_info=pb.TracepointAttachInfo(tracepoint=tp))
        elif kind == "uprobe":
            args = ["-t", self.env.target, "-f", "bpfman_test_target"]
            info = pb.AttachInfo(uprobe_attach_info=pb.UprobeAttachInfo(
                target=self.env.target, fn_name="bpfman_test_target"))
        elif kind == "xdp":
            hook = ("xdp", iface)
            args = ["-i", iface, "-n", netns, "-p", str(prio)]
            info = pb.AttachInfo(xdp_attach_info=pb.XDPAttachInfo(
                iface=iface, priority=prio, netns=netns))
        elif kind == "tc":
            hook = ("tc", iface, direction)
            args = ["-d", direction, "-i", iface, "-n", netns, "-p", str(prio)]
            info = pb.AttachInfo(tc_attach_info=pb.TCAttachInfo(
                iface=iface, direction=direction, priority=prio, netns=netns))
        else:
            hook = ("tcx", iface, direction)
            with_prio = r[6] < 0.5
            args = ["-d", direction, "-i", iface, "-n", netns] + (["-p", str(prio)] if with_prio
                                                                  else [])
            info = pb.AttachInfo(tcx_attach_info=pb.TCXAttachInfo(
                iface=iface, direction=direction, priority=prio if with_prio else 0, netns=netns))
        desc = "attach %d %s %s" % (pid, kind, " ".join(args))
        if via == "cli":
            o = self.cli(["attach", str(pid), kind] + args, self.cur_kill)
            if o.ok:
                m = re.search(r"Link ID:\s*(\d+)", o.value)
                o.value = int(m.group(1)) if m else None
        else:
            o = self.rpc("Attach", pb.AttachRequest(id=pid, attach=info), self.cur_kill)
            if o.ok:
                o.value = o.value.link_id
        # the kernel's own refusals: a second XDP program on an interface (without the
        # dispatcher), a program twice on one tracepoint (EEXIST from the perf event) or on
        # one tcx hook (EEXIST from the multi-program attach)
        busy = kind in ("xdp", "tracepoint", "tcx") and any(
            l["hook"] == hook and (kind == "xdp" or l["prog"] == pid) for l in self.links.values())
        refusal = "already runs" if kind == "xdp" else "File exists"
        if not busy and not o.ok and not o.killed and refusal in o.err and self.just_left(
                pid, hook, o.err):
            self.notes.append("op %d: %s: %s (right after a detach or unload there)" %
                              (self.ops, desc, o.err))
            return desc, o, pid
        if o.ok:
            if not o.value:
                self.unexpect("attach", "%s: no link id in the answer" % desc)
            else:
                if busy:
                    self.unexpect("attach", "%s succeeded, but the hook already had it" % desc)
                self.links[o.value] = {"prog": pid, "kind": kind, "hook": hook}
        elif not o.killed and not (busy and refusal in o.err):
            self.unexpect("attach", "%s: %s" % (desc, o.err))
        return desc, o, pid

    def op_detach(self, r, via):
        lid = self.pick(sorted(self.links), r[2])
        desc = "detach %d (%s of program %d)" % (lid, self.links[lid]["kind"],
                                                  self.links[lid]["prog"])
        if via == "cli":
            o = self.cli(["detach", str(lid)], self.cur_kill)
        else:
            o = self.rpc("Detach", pb.DetachRequest(link_id=lid), self.cur_kill)
        if o.ok:
            self.left(self.links.pop(lid))
        elif not o.killed:
            self.unexpect("detach", "%s: %s" % (desc, o.err))
        return desc, o, lid

    def op_unload(self, r, via):
        pid = self.pick(sorted(self.progs), r[2])
        desc = "unload %d (%s, %d links)" % (pid, self.progs[pid], sum(
            1 for l in self.links.values() if l["prog"] == pid))
        if via == "cli":
            o = self.cli(["unload", str(pid)], self.cur_kill)
        else:
            o = self.rpc("Unload", pb.UnloadRequest(id=pid), self.cur_kill)
        if o.ok:
            self.forget_prog(pid)
        elif not o.killed:
            self.unexpect("unload", "%s: %s" % (desc, o.err))
        return desc, o, pid

    def op_list(self, r, via):
        if via == "cli":
            o = self.cli(["list", "programs", "-o", "json"], self.cur_kill)
            ids = set(map(int, re.findall(r'"kernel":\s*{\s*"id":\s*(\d+)', o.value or "")))
        else:
            o = self.rpc("List", pb.ListRequest(bpfman_programs_only=True), self.cur_kill)
            ids = {x.kernel_info.id for x in o.value.results} if o.ok else set()
        if o.ok and ids != set(self.progs):
            self.unexpect("list", "list shows %s, we have %s" % (sorted(ids), sorted(self.progs)))
        elif not o.ok and not o.killed:
            self.unexpect("list", o.err)
        return "list", o, None

    def op_get(self, r, via):
        pid = self.pick(sorted(self.progs), r[2])
        want = {k for k, l in self.links.items() if l["prog"] == pid}
        if via == "cli":
            o = self.cli(["get", "program", str(pid), "-o", "json"], self.cur_kill)
            m = re.search(r'"links":\s*\[([^\]]*)\]', o.value or "")
            got = set(map(int, re.findall(r"\d+", m.group(1)))) if m else None
        else:
            o = self.rpc("Get", pb.GetRequest(id=pid), self.cur_kill)
            got = set(o.value.info.links) if o.ok else None
        if o.ok and got != want:
            self.unexpect("get", "get %d shows links %s, we have %s" %
                          (pid, sorted(got or []), sorted(want)))
        elif not o.ok and not o.killed:
            self.unexpect("get", "get %d: %s" % (pid, o.err))
        return "get %d" % pid, o, pid

    def op_bogus(self, r, via):
        """An unload or detach of an id that does not exist: refused, changes nothing."""
        what = "unload" if r[2] < 0.5 else "detach"
        if via == "cli":
            o = self.cli([what, str(NO_SUCH_ID)], self.cur_kill)
            legit = "does not exist" in o.err
        else:
            req = (pb.UnloadRequest(id=NO_SUCH_ID) if what == "unload"
                   else pb.DetachRequest(link_id=NO_SUCH_ID))
            o = self.rpc(what.capitalize(), req, self.cur_kill)
            legit = o.err.startswith("NOT_FOUND")
        if o.ok or (not o.killed and not legit):
            self.unexpect("bogus", "%s %d: %s" % (what, NO_SUCH_ID, o.err or "succeeded"))
        return "%s %d (no such id)" % (what, NO_SUCH_ID), o, None

    # ---- helpers ----

    def pick(self, items, x):
        return items[int(x * len(items))]

    def kill_delay(self, r, via):
        """None, or when to kill: uniform over the time this kind of operation took lately
        (KILL_WINDOW until it has been timed), so kills land all along its steps."""
        if r[1] >= (KILL_CLI if via == "cli" else KILL_SERVER):
            return None
        d = sorted(self.durations.get((via, self.cur_op), []))
        if not d:
            return r[7] * KILL_WINDOW
        # the CLI: its median run; the server: its quickest answer (the client's own share
        # of a call's time is large, and a kill after the answer tests nothing)
        return r[7] * (d[len(d) // 2] if via == "cli" else d[0])

    def timed(self, via, t0, o):
        """Remembers how long an operation that was not killed took."""
        if not o.kill_sent:
            d = self.durations.setdefault((via, self.cur_op), [])
            d.append(time.monotonic() - t0)
            del d[:-20]

    def left(self, link):
        """A link went away through the test: remember when, since the kernel frees an
        unpinned link only after an RCU grace period (see just_left)."""
        now = time.monotonic()
        self.departed = [d for d in self.departed if now - d[0] < 2]
        self.departed.append((now, link["prog"], link["hook"]))

    def just_left(self, pid, hook, err):
        """Was the hook's holder (the same program, or for XDP the program the error names)
        detached or unloaded less than 2 s ago? Then the kernel may still run it."""
        m = re.search(r"already runs XDP program (\d+)", err)
        holder = int(m.group(1)) if m else pid
        now = time.monotonic()
        return any(now - t < 2 and p == holder and h == hook for t, p, h in self.departed)

    def forget_prog(self, pid):
        self.progs.pop(pid, None)
        for k in [k for k, l in self.links.items() if l["prog"] == pid]:
            self.left(self.links.pop(k))

    def unexpect(self, kind, text):
        self.unexpected.append("op %d: %s" % (self.ops, text))
        log("UNEXPECTED op %d (%s): %s" % (self.ops, kind, text))

    def choose(self, r):
        n_p, n_l = len(self.progs), len(self.links)
        weights = [("load", 3 if n_p < MAX_PROGS else 0),
                   ("attach", 4 if n_p and n_l < MAX_LINKS else 0),
                   ("detach", 3 if n_l else 0),
                   ("unload", (2 if n_p < MAX_PROGS - 3 else 5) if n_p else 0),
                   ("list", 1), ("get", 1 if n_p else 0), ("bogus", 0.3)]
        x = r[0] * sum(w for _, w in weights)
        for name, w in weights:
            if x < w:
                return name
            x -= w
        return "list"

    # ---- after a kill, and periodically ----

    def settle(self, op, what, about):
        """Reads records, pins and kernel until they agree (the kernel frees an unpinned
        object after an RCU grace period: up to 3 s), resolves the outcome of a killed
        operation, and records what is orphaned or lost. Returns (the findings not seen
        before, all findings of this check)."""
        new = []
        for attempt in range(16):
            snap = invariants.Snapshot(self.env.root, self.env.hooks(),
                                       self.env.server.pid if self.env.server else None)
            found = invariants.findings(snap, self.seen)
            if all(k in self.orphans for k, _ in found):
                break  # nothing new (what was found before is not waited for again)
            time.sleep(0.2)
        self.seen |= snap.prog_ids()
        rec = snap.rec
        # the killed operation's outcome: what it made is adopted, what it removed is gone
        for pid in sorted(set(rec.progs) - set(self.progs)):
            if op != "load":
                found.append(("unacked-prog:%d" % pid, "program record %d that no successful "
                              "operation made" % pid))
            self.progs[pid] = TYPE_NAMES.get(rec.progs[pid]["type"], "?")
        for lid in sorted(set(rec.links) - set(self.links)):
            l = rec.links[lid]
            if op != "attach":
                found.append(("unacked-link:%d" % lid, "link record %d that no successful "
                              "operation made" % lid))
            kind = self.progs.get(l["prog_id"], "?")
            hook = None
            if kind == "tracepoint":
                hook = ("tracepoint", l["tracepoint"])
            elif kind == "xdp":
                hook = ("xdp", l["iface"])
            elif kind in ("tc", "tcx"):
                hook = (kind, l["iface"], invariants.DIRS.get(l["direction"]))
            self.links[lid] = {"prog": l["prog_id"], "kind": kind, "hook": hook}
        # an object already counted as an orphan (its record without its kernel side) that
        # goes later is that orphan's repair, not a loss
        for pid in sorted(set(self.progs) - set(rec.progs)):
            if not (op == "unload" and about == pid) and "prog-record:%d" % pid not in self.orphans:
                self.lost["prog:%d" % pid] = "program %d (%s), acknowledged, is gone" % (
                    pid, self.progs[pid])
                new.append(self.lost["prog:%d" % pid])
            self.forget_prog(pid)
        for lid in sorted(set(self.links) - set(rec.links)):
            # a killed unload may have detached its program's links and died before the rest
            if not (op == "detach" and about == lid) and not (
                    op == "unload" and self.links[lid]["prog"] == about) and (
                    "link-record:%d" % lid not in self.orphans):
                self.lost["link:%d" % lid] = "link %d (%s of program %d), acknowledged, is gone" % (
                    lid, self.links[lid]["kind"], self.links[lid]["prog"])
                new.append(self.lost["link:%d" % lid])
            self.left(self.links.pop(lid))
        for key, text in found:
            if key not in self.orphans:
                self.orphans[key] = text
                new.append(text)
        if new:
            log("FINDING after op %d (%s):" % (self.ops, what))
            for t in new:
                log("    " + t)
            log("    the last operations (seed %d):" % self.seed)
            for h in self.history[-4:]:
                log("      " + h)
        return new, [t for _, t in found] + [t for t in new if t in self.lost.values()]

    def repair_after_cli_kill(self):
        """The next command: a writer (unload of an id that does not exist), which
        reconciles before it refuses."""
        o = self.cli(["unload", str(NO_SUCH_ID)], None)
        if o.ok or "does not exist" not in o.err:
            self.unexpect("repair", "the command after the kill: %s" % (o.err or "succeeded"))

    # ---- the run ----

    def run(self, time_limit):
        started = time.monotonic()
        kill_checks_failed = []
        for i in range(1, self.n_ops + 1):
            if time.monotonic() - started > time_limit:
                log("time limit of %d s reached after %d operations" % (time_limit, self.ops))
                break
            self.ops = i
            r = [self.rnd.random() for _ in range(10)]
            via = "cli" if r[8] < 0.5 else "grpc"
            op = self.cur_op = self.choose(r)
            kill = self.cur_kill = self.kill_delay(r, via)
            t0 = time.monotonic()
            desc, o, about = getattr(self, "op_" + op)(r, via)
            self.timed(via, t0, o)
            tag = "KILLED" if o.killed else "ok" if o.ok else "error: " + o.err
            if kill is not None and not o.killed:
                tag += " (answered before the kill)" if o.kill_sent else " (done before the kill)"
            line = "op %d %s %s%s: %s" % (i, via, desc, " (kill after %.1f ms)" % (kill * 1000)
                                           if kill is not None else "", tag)
            self.history.append(line)
            if self.verbose:
                log(line)
            if o.kill_sent:
                self.kills += 1
                if via == "cli":
                    self.repair_after_cli_kill()
                if self.settle(op if o.killed else None, line, about)[0]:
                    kill_checks_failed.append(i)
            if i % 100 == 0:
                _, now = self.settle(None, "periodic check", None)
                self.checks.append(("invariants after %d operations" % i, not now,
                                    "; ".join(sorted(set(now)))))
        self.checks.append(("every kill repaired (%d kills)" % self.kills, not kill_checks_failed,
                            "findings after the kills of operations %s" % kill_checks_failed))

    def finish(self):
        """The last checks: invariants, orphans, lost, unexpected outcomes; then unload
        everything and check that nothing of ours is left."""
        self.settle(None, "final check", None)
        self.checks.append(("orphans", not self.orphans, "%d orphans" % len(self.orphans)))
        self.checks.append(("lost", not self.lost, "%d lost" % len(self.lost)))
        self.checks.append(("unexpected outcomes", not self.unexpected,
                            "%d unexpected outcomes" % len(self.unexpected)))
        for pid in sorted(self.progs):
            o = self.cli(["unload", str(pid)], None)
            if not o.ok:
                self.unexpect("teardown", "unload %d: %s" % (pid, o.err))
        self.progs.clear()
        self.links.clear()
        snap = None
        for attempt in range(16):
            snap = invariants.Snapshot(self.env.root, self.env.hooks(), self.env.server.pid)
            left = invariants.findings(snap, self.seen)
            left += [("record", "record of program %d" % p) for p in snap.rec.progs]
            left += [("map", d) for d in snap.map_dirs]
            if not left:
                break
            time.sleep(0.2)
        self.checks.append(("nothing left after unloading all", not left,
                            "; ".join(t for _, t in left)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--time-limit", type=int, default=600, help="seconds")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every operation")
    ap.add_argument("--kinds", default=",".join(PB_TYPE),
                    help="program kinds to load, comma-separated (default: all: %(default)s)")
    a = ap.parse_args()
    kinds = set(a.kinds.split(","))
    if not kinds <= set(PB_TYPE):
        ap.error("--kinds: unknown kind in %s" % a.kinds)
    PROGRAMS[:] = [p for p in PROGRAMS if p[0] in kinds]
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    log("seed %d (replay: tests/chaos/run.sh --seed %d)" % (seed, seed))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    env = Env()
    chaos = None
    failed_setup = None
    try:
        env.make_net()
        env.start_server()
        env.server_repairs()
        chaos = Chaos(env, seed, a.ops, a.verbose)
        chaos.run(a.time_limit)
        chaos.finish()
    except Failure as e:
        failed_setup = str(e)
    except Exception:  # noqa: BLE001  (reported as a failed check, after the cleanup)
        failed_setup = traceback.format_exc()
    finally:
        env.cleanup()
        if os.environ.get("CHAOS_STUBS_CLEANUP"):
            shutil.rmtree(os.environ["CHAOS_STUBS"], ignore_errors=True)
    checks = chaos.checks if chaos else []
    if failed_setup:
        checks.append(("run to the end", False, failed_setup))
    for name, ok, detail in checks:
        log("%s %s%s" % ("ok" if ok else "FAIL", name, "" if ok else ": " + detail))
    if chaos:
        for t in chaos.orphans.values():
            log("orphan: " + t)
        for t in chaos.lost.values():
            log("lost: " + t)
        for t in chaos.notes[:20]:
            log("note: " + t)
        for t in chaos.unexpected[:20]:
            log("unexpected: " + t)
        log("operations=%d kills=%d repairs=%d orphans=%d lost=%d" %
            (chaos.ops, chaos.kills, chaos.repairs, len(chaos.orphans), len(chaos.lost)))
    passed = sum(1 for c in checks if c[1])
    failed = len(checks) - passed
    log("RESULT kernel=chaos passed=%d failed=%d skipped=0" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
