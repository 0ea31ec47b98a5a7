#!/usr/bin/python3
"""A CSI client for the tests (Debian's python3-grpcio), with stubs that protoc generates
from proto/csi.proto and proto/pluginregistration.proto into $CSI_STUBS (see
tests/integration/test-csi.sh). One call per run; prints the answer as JSON, or
"ERROR <CODE>: <details>" for a gRPC error (exit 0 either way; exit 2 on bad usage).

  csi-client.py SOCKET info|caps|probe|node-info|node-caps
  csi-client.py SOCKET publish VOLUME_ID TARGET [--program P] [--maps M] [--readonly]
                [--group GID] [--pod-ns NS] [--block] [--mode MODE]
  csi-client.py SOCKET unpublish VOLUME_ID TARGET
  csi-client.py SOCKET stage VOLUME_ID | raw METHOD (an unknown method)
  csi-client.py REG_SOCKET reg-info | reg-notify true|false [ERROR]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.environ["CSI_STUBS"])
import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

import csi_pb2  # noqa: E402
import csi_pb2_grpc  # noqa: E402
import pluginregistration_pb2  # noqa: E402
import pluginregistration_pb2_grpc  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("call")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--program")
    ap.add_argument("--maps")
    ap.add_argument("--readonly", action="store_true")
    ap.add_argument("--group")
    ap.add_argument("--pod-ns")
    ap.add_argument("--block", action="store_true")
    ap.add_argument("--mode", default="SINGLE_NODE_WRITER")
    a = ap.parse_args()

    ch = grpc.insecure_channel("unix://" + a.socket)
    ident = csi_pb2_grpc.IdentityStub(ch)
    node = csi_pb2_grpc.NodeStub(ch)
    reg = pluginregistration_pb2_grpc.RegistrationStub(ch)
    t = 10
    try:
        if a.call == "info":
            r = ident.GetPluginInfo(csi_pb2.GetPluginInfoRequest(), timeout=t)
        elif a.call == "caps":
            r = ident.GetPluginCapabilities(csi_pb2.GetPluginCapabilitiesRequest(), timeout=t)
        elif a.call == "probe":
            r = ident.Probe(csi_pb2.ProbeRequest(), timeout=t)
        elif a.call == "node-info":
            r = node.NodeGetInfo(csi_pb2.NodeGetInfoRequest(), timeout=t)
        elif a.call == "node-caps":
            r = node.NodeGetCapabilities(csi_pb2.NodeGetCapabilitiesRequest(), timeout=t)
        elif a.call == "publish":
            cap = csi_pb2.VolumeCapability(
                access_mode=csi_pb2.VolumeCapability.AccessMode(
                    mode=csi_pb2.VolumeCapability.AccessMode.Mode.Value(a.mode)))
            if a.block:
                cap.block.SetInParent()
            else:
                cap.mount.SetInParent()
                if a.group is not None:
                    cap.mount.volume_mount_group = a.group
            ctx = {}
            if a.program is not None:
                ctx["csi.bpfman.io/program"] = a.program
            if a.maps is not None:
                ctx["csi.bpfman.io/maps"] = a.maps
            if a.pod_ns is not None:
                ctx["csi.storage.k8s.io/pod.namespace"] = a.pod_ns
            ctx["csi.storage.k8s.io/ephemeral"] = "true"
            r = node.NodePublishVolume(csi_pb2.NodePublishVolumeRequest(
                volume_id=a.args[0], target_path=a.args[1], volume_capability=cap,
                readonly=a.readonly, volume_context=ctx), timeout=t)
        elif a.call == "unpublish":
            r = node.NodeUnpublishVolume(csi_pb2.NodeUnpublishVolumeRequest(
                volume_id=a.args[0], target_path=a.args[1]), timeout=t)
        elif a.call == "stage":
            r = node.NodeStageVolume(csi_pb2.NodeStageVolumeRequest(volume_id=a.args[0]), timeout=t)
        elif a.call == "raw":
            r = ch.unary_unary(a.args[0])(b"", timeout=t)
            print(json.dumps({"raw": r.hex()}))
            return 0
        elif a.call == "reg-info":
            r = reg.GetInfo(pluginregistration_pb2.InfoRequest(), timeout=t)
        elif a.call == "reg-notify":
            r = reg.NotifyRegistrationStatus(pluginregistration_pb2.RegistrationStatus(
                plugin_registered=a.args[0] == "true",
                error=a.args[1] if len(a.args) > 1 else ""), timeout=t)
        else:
            print("unknown call " + a.call, file=sys.stderr)
            return 2
    except grpc.RpcError as e:
        print("ERROR %s: %s" % (e.code().name, e.details()))
        return 0
    print(json.dumps(json_format.MessageToDict(r, preserving_proto_field_name=True,
                                               including_default_value_fields=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
