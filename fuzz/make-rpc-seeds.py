#!/usr/bin/python3
"""Writes the seed corpus of fuzz-rpc: one file per request shape, its first byte the method's
index in src/rpc/handlers.c's rpc_methods[] (Load 0, Unload 1, Attach 2, Detach 3, List 4,
PullBytecode 5, Get 6), the rest the packed request.

Usage: fuzz/make-rpc-seeds.py OUTDIR   (needs protoc and python3-protobuf)"""
import importlib
import os
import subprocess
import sys
import tempfile

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["protoc", "-I", os.path.join(top, "proto"), "--python_out", tmp,
                    "bpfman.proto"], check=True)
    sys.path.insert(0, tmp)
    pb = importlib.import_module("bpfman_pb2")

    def loc(path="/tmp/x.bpf.o"):
        return pb.BytecodeLocation(file=path)

    seeds = {
        "load-xdp": (0, pb.LoadRequest(
            bytecode=loc(), info=[pb.LoadInfo(name="pass", program_type=pb.XDP)],
            metadata={"a": "b", "bpfman_application": "app"},
            global_data={"v": b"\x01\x02\x03\x04"}, map_owner_id=7)),
        "load-two": (0, pb.LoadRequest(
            bytecode=loc(), info=[
                pb.LoadInfo(name="f", program_type=pb.FENTRY, info=pb.ProgSpecificInfo(
                    fentry_load_info=pb.FentryLoadInfo(fn_name="do_unlinkat"))),
                pb.LoadInfo(name="l", program_type=pb.LSM, info=pb.ProgSpecificInfo(
                    lsm_load_info=pb.LsmLoadInfo(hook_name="file_open")))])),
        "load-image": (0, pb.LoadRequest(
            bytecode=pb.BytecodeLocation(image=pb.BytecodeImage(url="quay.io/x:1")),
            info=[pb.LoadInfo(name="t", program_type=pb.TRACEPOINT)])),
        "unload": (1, pb.UnloadRequest(id=42)),
        "attach-xdp": (2, pb.AttachRequest(id=2, attach=pb.AttachInfo(
            xdp_attach_info=pb.XDPAttachInfo(priority=50, iface="eth0", proceed_on=[2, 31],
                                             netns="/run/netns/x", metadata={"k": "v"})))),
        "attach-tc": (2, pb.AttachRequest(id=4, attach=pb.AttachInfo(
            tc_attach_info=pb.TCAttachInfo(priority=-1, iface="lo", direction="ingress",
                                           proceed_on=[0, 3, 30])))),
        "attach-tcx": (2, pb.AttachRequest(id=6, attach=pb.AttachInfo(
            tcx_attach_info=pb.TCXAttachInfo(priority=1001, iface="lo", direction="egress",
                                             netns="")))),
        "attach-tracepoint": (2, pb.AttachRequest(id=8, attach=pb.AttachInfo(
            tracepoint_attach_info=pb.TracepointAttachInfo(tracepoint="syscalls/sys_enter_getpid")))),
        "attach-kprobe": (2, pb.AttachRequest(id=10, attach=pb.AttachInfo(
            kprobe_attach_info=pb.KprobeAttachInfo(fn_name="do_unlinkat", offset=8,
                                                   container_pid=1)))),
        "attach-uprobe": (2, pb.AttachRequest(id=12, attach=pb.AttachInfo(
            uprobe_attach_info=pb.UprobeAttachInfo(fn_name="malloc", offset=2**64 - 1,
                                                   target="libc", pid=-1)))),
        "attach-fentry": (2, pb.AttachRequest(id=14, attach=pb.AttachInfo(
            fentry_attach_info=pb.FentryAttachInfo(metadata={"": "="})))),
        "attach-fexit": (2, pb.AttachRequest(id=16, attach=pb.AttachInfo(
            fexit_attach_info=pb.FexitAttachInfo()))),
        "attach-lsm": (2, pb.AttachRequest(id=18, attach=pb.AttachInfo(
            lsm_attach_info=pb.LsmAttachInfo()))),
        "detach": (3, pb.DetachRequest(link_id=20)),
        "list": (4, pb.ListRequest(program_type=6, bpfman_programs_only=True,
                                   match_metadata={"a": "b"})),
        "pull": (5, pb.PullBytecodeRequest(image=pb.BytecodeImage(url="quay.io/x:1"))),
        "get": (6, pb.GetRequest(id=22)),
    }
    os.makedirs(out, exist_ok=True)
    for name, (method, msg) in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([method]) + msg.SerializeToString())
