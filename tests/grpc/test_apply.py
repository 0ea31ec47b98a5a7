#!/usr/bin/python3
"""bpfman.apply.v1.BpfmanApply (proto/bpfman-apply.proto), the project's own service beside
bpfman.v1: Apply from YAML text and from a path, a dry run that changes nothing, a second
Apply that changes nothing, Status, Delete, and a document that does not validate
(INVALID_ARGUMENT with its line, nothing applied). Programs proven by a counter that moves.

Run by run.sh (same environment as test_bpfman.py); its stubs are generated here from the
project's proto (the contract has no such service: the project flavour only).
Prints one line per test method, then SUMMARY flavour=F passed=N failed=N skipped=N.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

import test_bpfman as tb
from test_bpfman import DEADLINE, FLAVOUR, OBJ, SLOT_TRACEPOINT, log

_gen = tempfile.mkdtemp(prefix="bpfman-apply-stubs.")
atexit.register(shutil.rmtree, _gen, True)
subprocess.run(["protoc", "-I", os.path.join(tb.TOP, "proto"), "--python_out=" + _gen,
                "--grpc_out=" + _gen,
                "--plugin=protoc-gen-grpc=" + subprocess.run(
                    ["sh", "-c", "command -v grpc_python_plugin"], check=True,
                    capture_output=True, text=True).stdout.strip(),
                "bpfman-apply.proto"], check=True)
sys.path.insert(0, _gen)
import bpfman_apply_pb2 as apb  # noqa: E402  (generated at run time)
import bpfman_apply_pb2_grpc as apb_grpc  # noqa: E402

MANIFEST = """apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: %(name)s
spec:
  nodeSelector: {}
  byteCode:
    path: %(obj)s
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
"""


def manifest(name):
    return MANIFEST % {"name": name, "obj": OBJ}


class ApplyTest(tb.ServerTest):
    def setUp(self):
        super().setUp()
        tb.stub()  # opens the shared channel
        self.a = apb_grpc.BpfmanApplyStub(tb._channel)

    def acall(self, method, request):
        return getattr(self.a, method)(request, timeout=DEADLINE)

    def delete_quietly(self, text):
        try:
            self.acall("Delete", apb.DeleteRequest(yaml=text))
        except grpc.RpcError:
            pass

    def tp_prog(self):
        mine = [r for r in self.list(bpfman_programs_only=True)
                if r.info.name == "tracepoint_counter"]
        self.assertEqual(len(mine), 1, "one tracepoint_counter program")
        return mine[0].kernel_info.id, mine[0].info.map_pin_path

    def test_apply_again_status_delete(self):
        tb.require_feature("tracepoint")
        text = manifest("grpc-demo")
        self.addCleanup(self.delete_quietly, text)

        dry = self.acall("Apply", apb.ApplyRequest(yaml=text, dry_run=True))
        log("dry run: %s" % [(a.action, a.program) for x in dry.applications for a in x.actions])
        self.assertTrue(dry.changed)
        self.assertEqual(self.managed_ids(), set(), "a dry run loads nothing")

        resp = self.acall("Apply", apb.ApplyRequest(yaml=text))
        self.assertTrue(resp.changed)
        self.assertEqual([x.application for x in resp.applications],
                         ["ClusterBpfApplication/grpc-demo"])
        app = resp.applications[0]
        self.assertEqual(app.state, "applied")
        self.assertEqual([(l.program, l.state) for l in app.links],
                         [("tracepoint_counter", "applied")])
        link_id = app.links[0].link_id
        self.assertNotEqual(link_id, 0)
        pid, pin = self.tp_prog()
        before = tb.counter(pin, SLOT_TRACEPOINT)
        tb.trigger("getpid", 20)
        self.assertGreaterEqual(tb.counter(pin, SLOT_TRACEPOINT) - before, 20, "counter moved")

        again = self.acall("Apply", apb.ApplyRequest(yaml=text))
        self.assertFalse(again.changed, "a second Apply changes nothing")
        self.assertEqual(len(again.applications[0].actions), 0)
        self.assertEqual(again.applications[0].links[0].link_id, link_id, "same link")

        st = self.acall("Status", apb.StatusRequest())
        mine = [x for x in st.applications if x.application == "ClusterBpfApplication/grpc-demo"]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0].state, "applied")

        gone = self.acall("Delete", apb.DeleteRequest(yaml=text))
        self.assertIn("unload", [a.action for x in gone.applications for a in x.actions])
        self.assertEqual(self.managed_ids(), set(), "nothing left after Delete")

    def test_apply_from_path(self):
        tb.require_feature("tracepoint")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "a.yaml"), "w") as f:
                f.write(manifest("grpc-path"))
            self.addCleanup(self.delete_quietly, manifest("grpc-path"))
            resp = self.acall("Apply", apb.ApplyRequest(path=d))
            self.assertEqual(resp.applications[0].state, "applied")
            self.acall("Delete", apb.DeleteRequest(path=d))

    def test_invalid_document_applies_nothing(self):
        bad = manifest("grpc-bad").replace("type: TracePoint", "type: [TracePoint]")
        good = manifest("grpc-good")
        with self.assertRaises(grpc.RpcError) as e:
            self.acall("Apply", apb.ApplyRequest(yaml=good + "---\n" + bad))
        log("%s: %s" % (e.exception.code(), e.exception.details()))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # the bad document starts after the good one and its separator: line 15 + 11
        self.assertIn(":26", e.exception.details())
        self.assertEqual(self.managed_ids(), set(), "nothing applied")
        with self.assertRaises(grpc.RpcError) as e:
            self.acall("Apply", apb.ApplyRequest())
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)


def main(argv):
    if FLAVOUR != "project":
        print("skip apply/all: bpfman.apply.v1 is the project's own service, not the contract's")
        print("SUMMARY flavour=%s passed=0 failed=0 skipped=1" % FLAVOUR)
        return 0
    return tb.run_tests(argv, sys.modules[__name__], [ApplyTest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
