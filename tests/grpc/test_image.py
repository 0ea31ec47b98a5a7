#!/usr/bin/python3
"""Bytecode images over gRPC: Load with bytecode.image and PullBytecode, against a real
registry (Debian's docker-registry on 127.0.0.1, started here) holding images written by
an independent tool (tests/helpers/make-oci-image.py) and pushed with skopeo.

Proves: a program loaded from an image runs (a counter moves); the answer names the image
and its policy and never echoes credentials; PullBytecode fills the cache, which a Never
load then uses with the registry stopped; the status codes (NOT_FOUND for an unknown image
or a Never miss, INVALID_ARGUMENT for a bad reference or a function the labels lack,
PERMISSION_DENIED without the credentials a registry wants, UNAVAILABLE when it cannot be
reached); two pulls of one image at once both succeed; a failed request leaves nothing in
the cache.

Run by run.sh with test_bpfman.py's environment; borrows its helpers.
Usage: test_image.py [Class | Class.test_method]...
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import grpc

import test_bpfman as t
from test_bpfman import pb, PT, StatusCode

MAKE_IMAGE = os.path.join(t.TOP, "tests", "helpers", "make-oci-image.py")
CACHE = os.path.join(t.ROOT or "/", "var", "cache", "bpfman")
LABEL = '{"tracepoint_counter":"tracepoint","kprobe_counter":"kprobe"}'
ALWAYS, IF_NOT_PRESENT, NEVER = 0, 1, 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """docker-registry on 127.0.0.1, its storage under a temp dir; htpasswd "user:pass"."""

    def __init__(self, htpasswd=None):
        for tool in ("docker-registry", "skopeo"):
            if not shutil.which(tool):
                raise unittest.SkipTest(tool + " is not installed (scripts/install-deps.sh test)")
        self.dir = tempfile.mkdtemp(prefix="bpfman-grpc-reg.")
        self.addr = "127.0.0.1:%d" % free_port()
        self.creds = htpasswd
        cfg = ["version: 0.1", "log: {level: error}", "storage:",
               "  filesystem: {rootdirectory: %s/storage}" % self.dir, "http:",
               "  addr: " + self.addr]
        if htpasswd:
            user, pw = htpasswd.split(":", 1)
            h = subprocess.run(["htpasswd", "-Bbn", user, pw], check=True, capture_output=True,
                               text=True).stdout
            with open(os.path.join(self.dir, "htpasswd"), "w") as f:
                f.write(h)
            cfg += ["auth:", "  htpasswd: {realm: bpfman-test, path: %s/htpasswd}" % self.dir]
        with open(os.path.join(self.dir, "config.yml"), "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", os.path.join(self.dir, "config.yml")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                urllib.request.urlopen("http://%s/v2/" % self.addr, timeout=1)
                return
            except urllib.error.HTTPError:
                return  # 401 with htpasswd: it answers
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.close()
        raise AssertionError("docker-registry did not start on " + self.addr)

    def push(self, ref, *args):
        """Writes an image with make-oci-image.py and pushes it; returns its digest."""
        d = tempfile.mkdtemp(prefix="bpfman-grpc-oci.")
        try:
            t.run("/usr/bin/python3", MAKE_IMAGE, "--out", d, "--tag", "t", *args)
            creds = ["--dest-creds", self.creds] if self.creds else []
            t.run("skopeo", "copy", "-q", "--all", "--dest-tls-verify=false", *creds,
                  "oci:%s:t" % d, "docker://%s/%s" % (self.addr, ref))
            creds = ["--creds", self.creds] if self.creds else []
            raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", *creds,
                                  "docker://%s/%s" % (self.addr, ref)], check=True,
                                 capture_output=True).stdout
            return "sha256:" + hashlib.sha256(raw).hexdigest()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def close(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def image_load(url, *programs, policy=IF_NOT_PRESENT, username=None, password=None):
    img = pb.BytecodeImage(url=url, image_pull_policy=policy)
    if username is not None:
        img.username = username
    if password is not None:
        img.password = password
    infos = [pb.LoadInfo(name=f, program_type=PT(ty)) for f, ty in programs]
    return pb.LoadRequest(bytecode=pb.BytecodeLocation(image=img), info=infos)


def cli_json(*args):
    env = dict(os.environ, BPFMAN_ROOT=t.ROOT)
    return json.loads(subprocess.run([t.CLI, *args, "-o", "json"], check=True,
                                     capture_output=True, text=True, env=env).stdout)


def cache_blobs():
    out = []
    for d, _, files in os.walk(os.path.join(CACHE, "blobs")):
        out += [os.path.join(d, f) for f in files]
    return sorted(out)


class ImageTest(t.ServerTest):
    def registry(self, **kw):
        r = Registry(**kw)
        self.addCleanup(r.close)
        return r

    def load_image(self, req):
        resp = self.call("Load", req)
        for p in resp.programs:
            self.addCleanup(self.unload_quietly, p.kernel_info.id)
        return resp

    def assert_cache_unchanged(self, before, what):
        self.assertEqual(before, cache_blobs(), what + ": the cache changed")
        tmp = os.path.join(CACHE, "tmp")
        self.assertEqual([], os.listdir(tmp) if os.path.isdir(tmp) else [], what + ": temp files")

    def test_load_from_image_counts(self):
        t.require_feature("tracepoint")
        reg = self.registry()
        digest = reg.push("ebpf/counters:v1", "--object", t.OBJ, "--programs", LABEL)
        url = reg.addr + "/ebpf/counters:v1"
        resp = self.load_image(image_load(url, ("tracepoint_counter", "TRACEPOINT")))
        info = resp.programs[0].info
        prog = resp.programs[0].kernel_info.id
        self.assertEqual("image", info.bytecode.WhichOneof("location"))
        self.assertEqual(url, info.bytecode.image.url)
        self.assertEqual(IF_NOT_PRESENT, info.bytecode.image.image_pull_policy)
        got = self.call("Get", pb.GetRequest(id=prog))
        self.assertEqual(url, got.info.bytecode.image.url)
        # the record keeps the digest the reference resolved to (shown by the CLI)
        self.assertEqual(digest, cli_json("get", "program", str(prog))["bpfman"]["image_digest"])
        self.attach(prog, t.tracepoint_attach())
        before = t.counter(info.map_pin_path, t.SLOT_TRACEPOINT)
        t.trigger("getpid", 50)
        after = t.counter(info.map_pin_path, t.SLOT_TRACEPOINT)
        self.assertGreaterEqual(after - before, 50, "the counter moved %d -> %d" % (before, after))

    def test_credentials_never_echoed(self):
        t.require_feature("tracepoint")
        reg = self.registry(htpasswd="alice:grpc-s3cret")
        reg.push("ebpf/private:v1", "--object", t.OBJ, "--programs", LABEL)
        url = reg.addr + "/ebpf/private:v1"
        before = cache_blobs()
        self.expect_error("no credentials", "Load",
                          image_load(url, ("tracepoint_counter", "TRACEPOINT"), policy=ALWAYS),
                          StatusCode.PERMISSION_DENIED, "requires authentication")
        e = self.expect_error("wrong password", "Load",
                              image_load(url, ("tracepoint_counter", "TRACEPOINT"), policy=ALWAYS,
                                         username="alice", password="wrong-pw"),
                              StatusCode.PERMISSION_DENIED)
        self.assertNotIn("wrong-pw", e.details())
        self.assert_cache_unchanged(before, "refused pulls")
        resp = self.load_image(image_load(url, ("tracepoint_counter", "TRACEPOINT"), policy=ALWAYS,
                                          username="alice", password="grpc-s3cret"))
        img = resp.programs[0].info.bytecode.image
        self.assertFalse(img.HasField("username"), "username echoed")
        self.assertFalse(img.HasField("password"), "password echoed")
        got = self.call("Get", pb.GetRequest(id=resp.programs[0].kernel_info.id))
        self.assertFalse(got.info.bytecode.image.HasField("password"), "password in Get")
        for d, _, files in os.walk(t.ROOT):
            if "/run/bpfman/fs" in d:
                continue
            for f in files:
                p = os.path.join(d, f)
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "rb") as fh:
                        self.assertNotIn(b"grpc-s3cret", fh.read(), "password stored in " + p)
        self.call("PullBytecode", pb.PullBytecodeRequest(image=pb.BytecodeImage(
            url=url, image_pull_policy=ALWAYS, username="alice", password="grpc-s3cret")))

    def test_pull_then_load_offline(self):
        t.require_feature("tracepoint")
        reg = self.registry()
        digest = reg.push("ebpf/pulled:v1", "--object", t.OBJ, "--programs", LABEL)
        url = reg.addr + "/ebpf/pulled:v1"
        self.call("PullBytecode", pb.PullBytecodeRequest(image=pb.BytecodeImage(
            url=url, image_pull_policy=ALWAYS)))
        self.assertIn(digest, [i["digest"] for i in cli_json("image", "list")])
        reg.stop()
        for policy in (IF_NOT_PRESENT, NEVER):
            resp = self.load_image(image_load(url, ("tracepoint_counter", "TRACEPOINT"),
                                              policy=policy))
            self.unload_quietly(resp.programs[0].kernel_info.id)
        before = cache_blobs()
        self.expect_error("Always with the registry down", "Load",
                          image_load(url, ("tracepoint_counter", "TRACEPOINT"), policy=ALWAYS),
                          StatusCode.UNAVAILABLE, reg.addr)
        self.expect_error("PullBytecode with the registry down", "PullBytecode",
                          pb.PullBytecodeRequest(image=pb.BytecodeImage(url=url, image_pull_policy=ALWAYS)),
                          StatusCode.UNAVAILABLE)
        self.assert_cache_unchanged(before, "offline Always")

    def test_errors(self):
        reg = self.registry()
        reg.push("ebpf/tp-only:v1", "--object", t.OBJ, "--programs",
                 '{"tracepoint_counter":"tracepoint"}')
        before = cache_blobs()
        tp = ("tracepoint_counter", "TRACEPOINT")
        self.expect_error("unknown image", "Load", image_load(reg.addr + "/ebpf/none:v1", tp),
                          StatusCode.NOT_FOUND, "does not exist")
        self.expect_error("unknown image (pull)", "PullBytecode", pb.PullBytecodeRequest(
            image=pb.BytecodeImage(url=reg.addr + "/ebpf/none:v1")), StatusCode.NOT_FOUND)
        self.expect_error("bad reference", "Load", image_load(reg.addr + "/Ebpf/X:v1", tp),
                          StatusCode.INVALID_ARGUMENT)
        self.expect_error("empty url", "Load", image_load("", tp), StatusCode.INVALID_ARGUMENT,
                          "url")
        self.expect_error("bad policy", "Load", image_load(reg.addr + "/ebpf/tp-only:v1", tp, policy=7),
                          StatusCode.INVALID_ARGUMENT, "invalid image_pull_policy 7")
        self.expect_error("Never, not cached", "Load",
                          image_load(reg.addr + "/ebpf/tp-only:v1", tp, policy=NEVER),
                          StatusCode.NOT_FOUND, "is not in the cache and the pull policy is Never")
        self.expect_error("function not in the labels", "Load",
                          image_load(reg.addr + "/ebpf/tp-only:v1", ("kprobe_counter", "KPROBE")),
                          StatusCode.INVALID_ARGUMENT, "function 'kprobe_counter' is not in image")
        self.expect_error("unreachable registry", "PullBytecode", pb.PullBytecodeRequest(
            image=pb.BytecodeImage(url="127.0.0.1:1/ebpf/x:v1")), StatusCode.UNAVAILABLE)
        self.assert_cache_unchanged(before, "failed requests")

    def test_two_pulls_at_once(self):
        reg = self.registry()
        digest = reg.push("ebpf/big:v1", "--object", t.OBJ, "--programs", LABEL, "--pad-mib", "8")
        req = pb.PullBytecodeRequest(image=pb.BytecodeImage(url=reg.addr + "/ebpf/big:v1",
                                                            image_pull_policy=ALWAYS))
        errors = []

        def pull():
            try:
                t.stub().PullBytecode(req, timeout=t.DEADLINE)
            except grpc.RpcError as e:
                errors.append("%s: %s" % (e.code().name, e.details()))

        threads = [threading.Thread(target=pull) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual([], errors)
        images = [i for i in cli_json("image", "list") if i["ref"] == reg.addr + "/ebpf/big:v1"]
        self.assertEqual([digest], [i["digest"] for i in images])


def main(argv):
    return t.run_tests(argv, sys.modules[__name__], [ImageTest], own_only=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
