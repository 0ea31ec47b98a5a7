#!/usr/bin/python3
"""bpfman-rpc under hostile or unlucky clients, each test with servers of its own:
idle connections must not lock others out, one process must not take every slot, a call
nobody waits for any more must change nothing, the socket is never wider than its mode,
and SIGTERM stops the server in bounded time even with a request stuck in a handler.

Run by run.sh (same environment as test_bpfman.py). Usage: test_server_limits.py [Class...]
Prints one line per test method, then SUMMARY flavour=F passed=N failed=N skipped=N.
"""

import fcntl
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import threading
import time
import unittest

import grpc

import test_bpfman as tb
from test_bpfman import DEADLINE, ServerProcess, load_request, log, pb, pb_grpc

PER_PEER = 16  # the server's per-process connection cap (a quarter of its 64)
SHUTDOWN_BOUND = 5 + 1 + 1  # grace for calls, then for cancelled calls, then for workers

# A process that opens N raw connections (HTTP/2 preface + empty SETTINGS, then nothing),
# prints "connected", then on each "check" line prints the indices the server has closed.
IDLER = r'''
import json, select, socket, sys, time
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\4\0\0\0\0\0"
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(PREFACE)
    socks.append(s)
    time.sleep(0.003)  # distinct ages: the server closes the oldest first
print("connected", flush=True)
closed = set()
for line in sys.stdin:
    for i, s in enumerate(socks):
        while i not in closed and select.select([s], [], [], 0)[0]:
            try:
                if not s.recv(65536):
                    closed.add(i)
            except OSError:
                closed.add(i)
    print(json.dumps(sorted(closed)), flush=True)
'''


class Idler:
    def __init__(self, test, sock, n):
        self.p = subprocess.Popen([sys.executable, "-c", IDLER, sock, str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        test.addCleanup(self.close)
        line = self.p.stdout.readline().strip()
        test.assertEqual("connected", line, "the idle client could not connect")

    def closed(self):
        self.p.stdin.write("check\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.p.stdin.close()
        self.p.stdout.close()


class ConnectionLimitTest(ServerProcess):
    def list_ok(self, c):
        c.List(pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE)

    def wait_closed(self, idlers, want, within):
        until = time.monotonic() + within
        while True:
            got = [i.closed() for i in idlers]
            if sum(len(g) for g in got) >= want or time.monotonic() > until:
                return got
            time.sleep(0.2)

    def test_idle_connections_do_not_lock_out(self):
        # 100 idle connections from 10 processes: a new client is served at once (the
        # oldest idle connections make room), and after the idle timeout the server has
        # closed every one of them
        proc = self.start("--idle-timeout", "3")
        idlers = [Idler(self, self.sock, 10) for _ in range(10)]
        time.sleep(0.5)  # accepted
        t0 = time.monotonic()
        ch, c = self.client()
        self.list_ok(c)
        log("new client served in %.3f s beside 100 idle connections" % (time.monotonic() - t0))
        for _ in range(20):  # grpc closes a shut-down connection's fd a moment later
            if self.server_sockets(proc) <= 1 + 64:
                break
            time.sleep(0.1)
        self.assertLessEqual(self.server_sockets(proc), 1 + 64)
        got = self.wait_closed(idlers, 100, 3 + 5)
        self.assertEqual([list(range(10))] * 10, got, "idle connections the server closed")
        self.list_ok(c)  # the client's own connection went idle too: it reconnects unharmed
        ch.close()
        self.stop(proc)

    def test_per_process_cap(self):
        # one process opening 40 connections keeps only its 16 newest; the 24 oldest are
        # closed by the server; others are still served
        proc = self.start()
        idler = Idler(self, self.sock, 40)
        got = self.wait_closed([idler], 40 - PER_PEER, 5)[0]
        self.assertEqual(list(range(40 - PER_PEER)), got, "connections the server closed")
        ch, c = self.client()
        self.list_ok(c)
        ch.close()
        self.stop(proc)


    def test_busy_connections_are_kept(self):
        # 16 connections of one process, each with a Load waiting (behind the writer lock,
        # most not yet taken by a worker): none is closed to make room; a 17th connection
        # of that process is the one refused, with RESOURCE_EXHAUSTED saying why
        proc = self.start()
        opts = [("grpc.use_local_subchannel_pool", 1)]  # one connection per channel
        lock = hold_writer_lock(self.root)
        try:
            loads = []
            for _ in range(PER_PEER):
                ch = grpc.insecure_channel("unix://" + self.sock, options=opts)
                self.addCleanup(ch.close)
                loads.append(pb_grpc.BpfmanStub(ch).Load.future(
                    load_request(("tracepoint_counter", "TRACEPOINT")), timeout=DEADLINE))
            time.sleep(0.5)
            extra = grpc.insecure_channel("unix://" + self.sock, options=opts)
            self.addCleanup(extra.close)
            listed = pb_grpc.BpfmanStub(extra).List.future(pb.ListRequest(), timeout=DEADLINE)
            time.sleep(0.5)
        finally:
            os.close(lock)
        ids = [f.result().programs[0].kernel_info.id for f in loads]
        with self.assertRaises(grpc.RpcError) as e:
            listed.result()
        self.assertEqual(grpc.StatusCode.RESOURCE_EXHAUSTED, e.exception.code())
        self.assertIn("too many connections", e.exception.details())
        ch, c = self.client()
        for pid in ids:
            c.Unload(pb.UnloadRequest(id=pid), timeout=DEADLINE)
        ch.close()
        self.stop(proc)


def hold_writer_lock(root):
    """Takes the server's writer lock (flock), as a long change would hold it; returns the
    fd (closing it releases the lock)."""
    fd = os.open(os.path.join(root, "run", "bpfman", ".lock"),
                 os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


class CancelTest(ServerProcess):
    def prog_pins(self):
        fs = os.path.join(self.root, "run", "bpfman", "fs")
        if not os.path.isdir(fs):
            return set()
        return {int(f[5:]) for f in os.listdir(fs) if f.startswith("prog_")}

    def tagged(self, c):
        out = {}
        for r in c.List(pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE).results:
            tag = dict(r.info.metadata).get("limits_req")
            if tag is not None:
                out[r.kernel_info.id] = int(tag)
        return out

    def test_cancelled_loads_change_nothing(self):
        # 200 Loads while a long change holds the writer lock: a third with a generous
        # deadline, a third whose deadline passes, a third the client cancels, all while
        # they wait. Every Load answered OK is listed and pinned; every other one left
        # nothing: no unknown ids
        proc = self.start("--workers", "4")
        ch, c = self.client()
        rnd = random.Random(9)
        lock = hold_writer_lock(self.root)
        try:
            futures, timers = [], []
            for i in range(200):
                kind = ("long", "deadline", "cancel")[i % 3]
                req = load_request(("tracepoint_counter", "TRACEPOINT"),
                                   metadata={"limits_req": str(i)})
                f = c.Load.future(req, timeout=rnd.uniform(0.1, 0.6) if kind == "deadline" else 60)
                if kind == "cancel":
                    timers.append(threading.Timer(rnd.uniform(0.1, 0.6), f.cancel))
                    timers[-1].start()
                futures.append((i, kind, f))
            for t in timers:
                t.join()
            time.sleep(0.8)  # every short deadline has passed
        finally:
            os.close(lock)
        answered = {}  # id -> request
        outcome = {"long": [0, 0], "deadline": [0, 0], "cancel": [0, 0]}
        for i, kind, f in futures:
            try:
                pid = f.result(timeout=120).programs[0].kernel_info.id
                answered[pid] = i
                outcome[kind][0] += 1
            except (grpc.RpcError, grpc.FutureCancelledError):
                outcome[kind][1] += 1
        log("ok/not ok: " + ", ".join("%s %d/%d" % (k, v[0], v[1]) for k, v in outcome.items()))
        self.assertEqual({"long": [67, 0], "deadline": [0, 67], "cancel": [0, 66]}, outcome)
        # the server may still be busy with requests nobody waits for: wait until quiet
        last, same = None, 0
        while same < 4:
            now = (self.tagged(c), self.prog_pins())
            same = same + 1 if now == last else 0
            last = now
            time.sleep(0.3)
        listed, pins = last
        self.assertEqual(answered, listed, "programs listed vs Loads answered OK")
        self.assertEqual(set(answered), pins, "program pins vs Loads answered OK")
        for pid in answered:
            c.Unload(pb.UnloadRequest(id=pid), timeout=DEADLINE)
        self.assertEqual({}, self.tagged(c))
        self.assertEqual(set(), self.prog_pins())
        ch.close()
        self.stop(proc)

    def test_cancelled_unload_changes_nothing(self):
        # an Unload whose deadline passes while it waits for the lock leaves the program
        proc = self.start()
        ch, c = self.client()
        pid = c.Load(load_request(("tracepoint_counter", "TRACEPOINT"),
                                  metadata={"limits_req": "0"}), timeout=DEADLINE).programs[0].kernel_info.id
        self.assertEqual(grpc.StatusCode.DEADLINE_EXCEEDED,
                         self.late(c.Unload, pb.UnloadRequest(id=pid)))
        self.assertEqual({pid: 0}, self.tagged(c))
        self.assertEqual({pid}, self.prog_pins())
        c.Unload(pb.UnloadRequest(id=pid), timeout=DEADLINE)
        self.assertEqual(set(), self.prog_pins())
        ch.close()
        self.stop(proc)


    def late(self, method, request):
        """Calls method with a 0.3 s deadline while the writer lock is held for 0.6 s: the
        deadline passes while the call waits; answers the status code."""
        lock = hold_writer_lock(self.root)
        try:
            f = method.future(request, timeout=0.3)
            time.sleep(0.6)
        finally:
            os.close(lock)
        with self.assertRaises(grpc.RpcError) as e:
            f.result(timeout=DEADLINE)
        time.sleep(0.5)  # the server is done with it
        return e.exception.code()

    def test_cancelled_attach_detach_change_nothing(self):
        # an Attach whose deadline passes while it waits leaves no link; a Detach likewise
        # leaves the link
        proc = self.start()
        ch, c = self.client()
        pid = c.Load(load_request(("tracepoint_counter", "TRACEPOINT")),
                     timeout=DEADLINE).programs[0].kernel_info.id
        self.addCleanup(lambda: c.Unload(pb.UnloadRequest(id=pid), timeout=DEADLINE))
        attach = pb.AttachRequest(id=pid, attach=tb.tracepoint_attach())
        self.assertEqual(grpc.StatusCode.DEADLINE_EXCEEDED, self.late(c.Attach, attach))
        self.assertEqual([], list(c.Get(pb.GetRequest(id=pid), timeout=DEADLINE).info.links))
        self.assertEqual([], os.listdir(os.path.join(self.root, "run", "bpfman", "fs", "links")))
        link = c.Attach(attach, timeout=DEADLINE).link_id
        self.assertEqual(grpc.StatusCode.DEADLINE_EXCEEDED,
                         self.late(c.Detach, pb.DetachRequest(link_id=link)))
        self.assertEqual([link], list(c.Get(pb.GetRequest(id=pid), timeout=DEADLINE).info.links))
        c.Detach(pb.DetachRequest(link_id=link), timeout=DEADLINE)


def no_lsan():
    """ASAN_OPTIONS for a process run under strace: LeakSanitizer cannot work under ptrace
    (it fails the process at exit); ASan and UBSan still check it."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    return (opts + ":" if opts else "") + "detect_leaks=0"


class SocketModeTest(ServerProcess):
    def test_mode_at_creation(self):
        # under umask 0, the socket file must never be wider than 0660, from the moment it
        # appears (it used to be bound 0777 and chmod'ed afterwards). strace holds the
        # server 0.5 s in front of each chmod, so that moment is seen for sure
        strace = shutil.which("strace")
        if not strace:
            log("strace not installed: watching without holding the server before chmod")
        seen, stop = set(), threading.Event()

        def watch():
            while not stop.is_set():
                try:
                    seen.add(stat.S_IMODE(os.lstat(self.sock).st_mode))
                except FileNotFoundError:
                    pass

        hold = [strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=chmod,fchmodat",
                "-e", "inject=chmod,fchmodat:delay_enter=500000"] if strace else []
        w = threading.Thread(target=watch)
        w.start()
        with open(self.log, "ab") as out:
            proc = subprocess.Popen(hold + [tb.RPC, "--socket-path", self.sock], umask=0,
                                    env=dict(os.environ, BPFMAN_ROOT=self.root,
                                             ASAN_OPTIONS=no_lsan()),
                                    stdout=out, stderr=out)
        self.addCleanup(self.kill, proc)
        try:
            for _ in range(100):
                if os.path.exists(self.sock) or proc.poll() is not None:
                    break
                time.sleep(0.05)
            time.sleep(0.8)
        finally:
            stop.set()
            w.join()
        self.assertIsNone(proc.poll(), "server exited at start: " + self.server_log())
        server = proc.pid
        if strace:  # the server is strace's child, and would outlive a killed strace
            with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                server = int(f.read().split()[0])
            # (while strace lives, its tracee's pid cannot have been reused)
            self.addCleanup(lambda: proc.poll() is None and self.kill_pid(server))
        self.assertEqual({0o660}, seen, "modes seen: %s" % sorted(map(oct, seen)))
        os.kill(server, 15)
        self.assertEqual(0, proc.wait(timeout=10), self.server_log())

    @staticmethod
    def kill_pid(pid):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


class ShutdownTest(ServerProcess):
    def test_sigterm_with_idle_connections(self):
        # idle connections (a client that never hangs up) do not hold up the exit: the
        # server used to wait its whole 5 s grace for them
        proc = self.start()
        Idler(self, self.sock, 3)
        ch, c = self.client()
        c.List(pb.ListRequest(bpfman_programs_only=True), timeout=DEADLINE)
        t0 = time.monotonic()
        self.stop(proc)
        took = time.monotonic() - t0
        log("exited %.2f s after SIGTERM" % took)
        self.assertLess(took, 2)
        ch.close()

    def test_sigterm_with_stuck_request(self):
        # a Load stuck in its handler (waiting for the writer lock, held here) must not keep
        # the server from exiting on SIGTERM: it exits within the bound, status 0, and
        # nothing is left half-done
        proc = self.start()
        ch, c = self.client()
        lock = hold_writer_lock(self.root)
        self.addCleanup(os.close, lock)
        f = c.Load.future(load_request(("tracepoint_counter", "TRACEPOINT")), timeout=60)
        time.sleep(1)
        self.assertFalse(f.done(), "the Load did not wait for the lock")
        t0 = time.monotonic()
        proc.send_signal(15)
        try:
            rc = proc.wait(timeout=SHUTDOWN_BOUND + 5)
        except subprocess.TimeoutExpired:
            self.fail("still running %d s after SIGTERM" % (SHUTDOWN_BOUND + 5))
        took = time.monotonic() - t0
        log("exited %.1f s after SIGTERM" % took)
        self.assertEqual(0, rc, self.server_log())
        self.assertLess(took, SHUTDOWN_BOUND + 1)
        with self.assertRaises(grpc.RpcError):
            f.result(timeout=DEADLINE)
        ch.close()
        fcntl.flock(lock, fcntl.LOCK_UN)
        proc = self.start()
        ch, c = self.client()
        self.assertEqual([], list(c.List(pb.ListRequest(bpfman_programs_only=True),
                                          timeout=DEADLINE).results))
        ch.close()
        self.stop(proc)


__all_tests__ = ("ConnectionLimitTest", "CancelTest", "SocketModeTest", "ShutdownTest")


def main(argv):
    loader = unittest.TestLoader()
    module = sys.modules[__name__]
    if argv:  # names of test_bpfman.py's classes are its own
        suite = unittest.TestSuite(loader.loadTestsFromName(n, module) for n in argv
                                   if n.split(".")[0] in __all_tests__)
    else:
        suite = unittest.TestSuite(loader.loadTestsFromName(n, module) for n in __all_tests__)
    result = tb.Result()
    suite.run(result)
    c = result.counts
    print("SUMMARY flavour=%s passed=%d failed=%d skipped=%d"
          % (tb.FLAVOUR, c["passed"], c["failed"], c["skipped"]), flush=True)
    return 1 if c["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
