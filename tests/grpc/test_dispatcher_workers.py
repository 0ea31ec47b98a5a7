#!/usr/bin/python3
"""XDP and TC under a dispatcher over gRPC, with two workers changing one hook at once.

Two clients, each on its own channel (so the server's two workers serve them side by side),
attach one member each to the same interface at the same moment, then detach at the same
moment, several rounds with the priorities swapped every round. After each attach round the
chain must hold both members in priority order, run both (BPF_PROG_TEST_RUN on the
dispatcher: each member counts its runs), and say "dispatcher" for both links; after each
detach round no dispatcher may be left. A change that rebuilt the chain from a stale view of
the other's attach or detach would lose a member or leave one behind.

Kernels without freplace skip (a plain XDP/TC attach is not a dispatcher); the qemu runner
pins freplace on its kernels, so there a skip is a failure.

Run by run.sh like test_bpfman.py (same environment, same SUMMARY line):
  test_dispatcher_workers.py [Class | Class.test_method]...
"""

import json
import os
import struct
import subprocess
import sys
import threading

import test_bpfman as tb
from test_bpfman import pb, pb_grpc, PT

CHAIN_OBJ = os.path.join(tb.BUILD, "bpf", "chain_member.bpf.o")
PROG_TEST_RUN = os.path.join(tb.BUILD, "tests", "helpers", "prog-test-run")
XDP_PASS, TC_ACT_PIPE = 2, 3


def le32(v):
    return struct.pack("<i", v)


class DispatcherWorkersTest(tb.NetBase):
    ROUNDS = 4

    def cli_json(self, *args):
        out = tb.run(tb.CLI, *args, "-o", "json", env=dict(os.environ, BPFMAN_ROOT=tb.ROOT))
        return json.loads(out)

    def chain(self, hook):
        args = ["dispatcher", "show", "veth-a", "-n", self.netns_path()]
        if hook != "xdp":
            args += ["-d", "ingress"]
        return self.cli_json(*args)

    def members(self, prog_type, names, action):
        """Loads one member per name (hits slot = its index), sharing the first's maps."""
        progs = []
        for slot, name in enumerate(names):
            kw = {"global_data": {"slot": le32(slot), "action": le32(action)}}
            if progs:
                kw["map_owner_id"] = progs[0].kernel_info.id
            progs.append(self.load((name, prog_type), file=CHAIN_OBJ, **kw).programs[0])
        return progs

    def attach_info(self, hook, priority):
        if hook == "xdp":
            return pb.AttachInfo(xdp_attach_info=pb.XDPAttachInfo(
                iface="veth-a", priority=priority, netns=self.netns_path()))
        return pb.AttachInfo(tc_attach_info=pb.TCAttachInfo(
            iface="veth-a", direction="ingress", priority=priority, netns=self.netns_path()))

    def at_once(self, calls):
        """Runs each (method, request) on a client of its own, all released together;
        returns the responses in order."""
        start = threading.Barrier(len(calls))
        out, errors = [None] * len(calls), []

        def worker(i, method, request):
            ch = tb.channel()
            try:
                c = pb_grpc.BpfmanStub(ch)
                start.wait()
                out[i] = getattr(c, method)(request, timeout=tb.DEADLINE)
            except Exception as e:  # reported by the caller
                errors.append("%s #%d: %r" % (method, i, e))
            finally:
                ch.close()

        threads = [threading.Thread(target=worker, args=(i, m, r)) for i, (m, r) in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual([], errors)
        return out

    def hits(self, owner, slot):
        return int(tb.run(tb.MAP_SUM, os.path.join(owner.info.map_pin_path, "hits"), str(slot)))

    def two_workers_one_hook(self, hook, prog_type, names, action):
        tb.require_feature("freplace")
        progs = self.members(prog_type, names, action)
        for rnd in range(self.ROUNDS):
            prios = (10, 20) if rnd % 2 == 0 else (20, 10)
            resp = self.at_once([("Attach", pb.AttachRequest(id=p.kernel_info.id,
                                                             attach=self.attach_info(hook, prio)))
                                 for p, prio in zip(progs, prios)])
            links = [r.link_id for r in resp]
            for link in links:
                self.addCleanup(self.detach_quietly, link)
            c = self.chain(hook)
            want = sorted(zip(prios, names, links))
            got = [(s["priority"], s["function_name"], s["link_id"]) for s in c["programs"]]
            self.assertEqual(want, got, "round %d: the chain after two attaches at once" % rnd)
            for link in links:
                mode = self.cli_json("get", "link", str(link))["mode"]
                self.assertEqual("dispatcher", mode, "round %d: link %d" % (rnd, link))
            before = [self.hits(progs[0], s) for s in (0, 1)]
            tb.run(PROG_TEST_RUN, str(c["dispatcher_id"]))
            after = [self.hits(progs[0], s) for s in (0, 1)]
            self.assertEqual([1, 1], [a - b for a, b in zip(after, before)],
                             "round %d: runs of each member for one packet" % rnd)
            self.at_once([("Detach", pb.DetachRequest(link_id=link)) for link in links])
            c = self.chain(hook)
            self.assertEqual((None, []), (c["dispatcher_id"], c["programs"]),
                             "round %d: the hook after two detaches at once" % rnd)
        # and packets still flow with nothing on the hook
        r = subprocess.run(["ip", "netns", "exec", self.ns[1], "ping", "-c", "1", "-W", "2",
                            "192.0.2.1"], capture_output=True, text=True)
        self.assertEqual(0, r.returncode, "ping after the last detach: " + r.stdout + r.stderr)

    def test_xdp_two_workers_one_hook(self):
        self.two_workers_one_hook("xdp", "XDP", ["xdp_a", "xdp_b"], XDP_PASS)

    def test_tc_two_workers_one_hook(self):
        self.two_workers_one_hook("tc", "TC", ["tc_a", "tc_b"], TC_ACT_PIPE)


def main(argv):
    return tb.run_tests(argv, sys.modules[__name__], [DispatcherWorkersTest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
