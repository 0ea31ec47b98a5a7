#!/usr/bin/python3
"""Hostile registries over gRPC: PullBytecode and Load of images from
tests/helpers/hostile-registry.py (one fault per repository), as
tests/integration/test-image-hostile.sh does with the CLI.

Proves: the server refuses each fault with an error (never OK, never UNKNOWN) whose message
names the problem, stays up, and leaves its image cache exactly as it was (files, modes,
sizes, contents; tmp/ empty) and nothing loaded; while one request waits on a stalling
registry, the server keeps answering, and another image can be pulled.

Run by run.sh with test_bpfman.py's environment; borrows its helpers.
Usage: test_image_hostile.py [Class | Class.test_method]...
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import grpc

import test_bpfman as t
from test_bpfman import pb, PT, StatusCode

HOSTILE = os.path.join(t.TOP, "tests", "helpers", "hostile-registry.py")
XDP_OBJ = os.path.join(t.BUILD, "bpf", "xdp_pass.bpf.o")
FN, TYPE = "xdp_pass", "xdp"
CACHE = os.path.join(t.ROOT or "/", "var", "cache", "bpfman")
ALWAYS, IF_NOT_PRESENT, NEVER = 0, 1, 2

DIGEST = ("digest", "mismatch|not match|differ|expected|instead")
LIMIT = ("limit|too (large|big)|exceed|larger than|over",)
# scenario -> patterns its refusal must match (extended regular expressions, any case);
# the same faults and wording checks as test-image-hostile.sh (the stalls are apart)
SCENARIOS = {
    "manifest-digest": DIGEST,
    "index-manifest-digest": DIGEST,
    "config-digest": DIGEST,
    "layer-digest": DIGEST,
    "manifest-huge": ("manifest",) + LIMIT,
    "manifest-huge-unsized": ("manifest",) + LIMIT,
    "blob-longer": ("size|larger|longer|more than|exceed|bytes",),
    "blob-shorter": ("size|short|truncat|fewer|less than|bytes|incomplete",),
    "blob-over-limit": LIMIT,
    "blob-over-limit-sized-small": ("size|limit|larger|longer|exceed|more than",),
    "layer-two-files": (r"second\.o|prog\.o", "several|more than one|multiple|two|only one|one file"),
    "layer-no-file": ("no (regular )?file|none|empty|no (eBPF )?object|not contain|without",),
    "layer-empty-tar": ("no (regular )?file|none|empty|no (eBPF )?object|not contain|without",),
    "tar-dotdot": (r"\.\./escape\.o",),
    "tar-dotdot-inner": (r"escape\.o", r"\.\."),
    "tar-absolute": (r"/abs/escape\.o", "absolute"),
    "tar-symlink": ("sym-entry", "link"),
    "tar-symlink-only": (r"prog\.o", "link"),
    "tar-hardlink": ("hard-entry", "link"),
    "tar-chardev": ("chr-entry", "device"),
    "tar-blockdev": ("blk-entry", "device"),
    "tar-fifo": ("fifo-entry", "fifo|pipe"),
    "gzip-bomb": LIMIT,
    "not-gzip": ("gzip|compress|format",),
    "not-elf": ("ELF|not an? (eBPF )?object",),
    "wrong-endian": ("endian|byte order",),
    "truncated-layer": ("partial|truncat|short|incomplete|closed|remaining|end of (file|data)|eof",),
    "truncated-manifest": ("partial|truncat|short|incomplete|closed|remaining|end of (file|data)|eof",),
    "redirect-loop": ("redirect",),
    "redirect-loop-manifest": ("redirect",),
    "bad-json": ("manifest", "not valid JSON", "end of (file|input)"),
    "bad-json-config": ("config", "json|pars|invalid|malformed"),
    "deep-json": ("manifest", "not valid JSON", "depth|deep|nest"),
    "deep-json-config": ("config", "json|pars|invalid|malformed|deep|nest"),
    "config-huge": LIMIT,
    "index-no-platform": ("s390x", "ppc64le|mips64le"),
    "two-layers": ("layer", "2|two|several|multiple|more than one|one layer|exactly one"),
    "layer-media-type": (r"tar\+zstd",),
    "schema1": ("schema 1", "unsupported|not supported"),
}

# scenario -> the status its refusal must have (src/common/status-errno.c): bytes that do not
# match their digest or size and cut-short transfers DATA_LOSS (EBADMSG), a size limit
# RESOURCE_EXHAUSTED (EFBIG), a redirect loop UNAVAILABLE (ELOOP), an image that is not a
# bytecode image INVALID_ARGUMENT, no manifest for this platform NOT_FOUND
_DATA_LOSS = ("manifest-digest", "index-manifest-digest", "config-digest", "layer-digest",
              "blob-longer", "blob-shorter", "blob-over-limit-sized-small", "truncated-layer",
              "truncated-manifest")
_EXHAUSTED = ("manifest-huge", "manifest-huge-unsized", "blob-over-limit", "gzip-bomb",
              "config-huge")
CODES = {s: StatusCode.INVALID_ARGUMENT for s in SCENARIOS}
CODES.update({s: StatusCode.DATA_LOSS for s in _DATA_LOSS})
CODES.update({s: StatusCode.RESOURCE_EXHAUSTED for s in _EXHAUSTED})
CODES.update({"redirect-loop": StatusCode.UNAVAILABLE,
              "redirect-loop-manifest": StatusCode.UNAVAILABLE,
              "index-no-platform": StatusCode.NOT_FOUND})


def cache_snapshot():
    """Every path under the cache with its type and mode, files with size and sha256
    (directories without size: it may grow with entries made and removed)."""
    out = []
    for d, dirs, files in os.walk(CACHE):
        for n in sorted(dirs):
            p = os.path.join(d, n)
            out.append((os.path.relpath(p, CACHE), "d", oct(os.lstat(p).st_mode)))
        for n in sorted(files):
            p = os.path.join(d, n)
            st = os.lstat(p)
            h = ""
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            out.append((os.path.relpath(p, CACHE), oct(st.st_mode), st.st_size, h))
    return sorted(out)


def image_request(url, policy=ALWAYS):
    return pb.BytecodeImage(url=url, image_pull_policy=policy)


def load_request(url, policy=ALWAYS):
    return pb.LoadRequest(bytecode=pb.BytecodeLocation(image=image_request(url, policy)),
                          info=[pb.LoadInfo(name=FN, program_type=PT(TYPE.upper()))])


class HostileServer:
    """hostile-registry.py on 127.0.0.1 (its port chosen by the kernel)."""

    def __init__(self):
        if not os.path.exists(XDP_OBJ):
            raise AssertionError("no " + XDP_OBJ + " (build first)")
        self.dir = tempfile.mkdtemp(prefix="bpfman-grpc-hostile.")
        self.log = os.path.join(self.dir, "requests.log")
        port_file = os.path.join(self.dir, "port")
        self.err = open(os.path.join(self.dir, "err"), "w")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", HOSTILE, "--object", XDP_OBJ, "--function", FN, "--type", TYPE,
             "--port-file", port_file, "--log", self.log, "--stall-seconds", "120"],
            stdout=subprocess.DEVNULL, stderr=self.err)
        for _ in range(100):
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.addr = "127.0.0.1:" + f.read().strip()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.close()
        raise AssertionError("hostile-registry.py did not start")

    def ref(self, scenario):
        """The full reference of a scenario's image (asking builds its payloads)."""
        with urllib.request.urlopen("http://%s/hostile/ref/%s" % (self.addr, scenario),
                                    timeout=120) as r:
            return self.addr + "/" + r.read().decode().strip()

    def requested(self, fragment):
        with open(self.log) as f:
            return fragment in f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.err.close()
        subprocess.run(["rm", "-rf", "--", self.dir], check=False)


class HostileImageTest(t.ServerTest):
    def setUp(self):
        super().setUp()
        self.hostile = HostileServer()
        self.addCleanup(self.hostile.close)
        # the control image: the client works against this server, and the cache is not empty
        self.call("PullBytecode", pb.PullBytecodeRequest(image=image_request(self.hostile.ref("good"))))
        self.assertTrue(any(f for _, _, f in os.walk(os.path.join(CACHE, "blobs"))),
                        "the control pull left no blob in " + CACHE)

    def refused(self, what, method, request, patterns, deadline=t.DEADLINE, code_want=None):
        """The call fails (not OK, not UNKNOWN; code_want when given) within deadline, its
        message matching every pattern; the cache as it was; nothing loaded. Returns a
        problem, or None."""
        before = cache_snapshot()
        t0 = time.monotonic()
        try:
            resp = getattr(self.c, method)(request, timeout=deadline)
            for p in getattr(resp, "programs", []):  # an accepted Load: leave nothing behind
                self.unload_quietly(p.kernel_info.id)
            return "%s: accepted" % what
        except grpc.RpcError as e:
            code, details = e.code(), e.details() or ""
        took = time.monotonic() - t0
        t.log("%s: %s in %.2f s: %s" % (what, code.name, took, details))
        if code == StatusCode.DEADLINE_EXCEEDED and took >= deadline - 0.5:
            return "%s: no answer within %d s" % (what, deadline)
        if code in (StatusCode.OK, StatusCode.UNKNOWN):
            return "%s: status %s: %s" % (what, code.name, details)
        if code_want is not None and code != code_want:
            return "%s: status %s, expected %s: %s" % (what, code.name, code_want.name, details)
        for p in patterns:
            if not re.search(p, details, re.I):
                return "%s: the message does not say /%s/: %s" % (what, p, details)
        after = cache_snapshot()
        if after != before:
            return "%s: the cache changed: added %s, removed %s" % (
                what, sorted(set(after) - set(before)), sorted(set(before) - set(after)))
        tmp = os.path.join(CACHE, "tmp")
        if os.path.isdir(tmp) and os.listdir(tmp):
            return "%s: files left in tmp/: %s" % (what, os.listdir(tmp))
        if self.list(bpfman_programs_only=True):
            return "%s: a program was left loaded" % what
        return None

    def test_control_image_loads(self):
        resp = self.call("Load", load_request(self.hostile.ref("good"), IF_NOT_PRESENT))
        for p in resp.programs:
            self.addCleanup(self.unload_quietly, p.kernel_info.id)
        self.assertEqual(1, len(resp.programs))

    def test_hostile_images_refused(self):
        problems = []
        for scenario, patterns in SCENARIOS.items():
            url = self.hostile.ref(scenario)
            for method, req in (("PullBytecode", pb.PullBytecodeRequest(image=image_request(url))),
                                ("Load", load_request(url))):
                p = self.refused("%s %s" % (method, scenario), method, req, patterns,
                                 code_want=CODES[scenario])
                if p:
                    problems.append(p)
        # the server is still there and still loads
        self.test_control_image_loads()
        self.assertFalse(problems, "\n".join(problems))

    def test_function_not_in_labels(self):
        url = self.hostile.ref("other-function")
        p = self.refused("Load other-function", "Load", load_request(url),
                         (FN, r"io\.ebpf\.programs|label"), code_want=StatusCode.INVALID_ARGUMENT)
        self.assertIsNone(p, p)

    def test_stalling_registry(self):
        """A request stalled on its layer: the server answers others meanwhile, pulls another
        image in a few seconds, and the stalled request ends with a timeout error."""
        url = self.hostile.ref("stall-layer")
        other = self.hostile.ref("good-index")
        result = {}

        def stalled():
            t0 = time.monotonic()
            try:
                self.c.PullBytecode(pb.PullBytecodeRequest(image=image_request(url)), timeout=120)
                result["rc"] = "OK"
            except grpc.RpcError as e:
                result["rc"] = "%s: %s" % (e.code().name, e.details())
            result["took"] = time.monotonic() - t0

        th = threading.Thread(target=stalled)
        th.start()
        try:
            with urllib.request.urlopen("http://%s/v2/stall-layer/manifests/v1" % self.hostile.addr,
                                        timeout=10) as r:
                layer = json.loads(r.read())["layers"][0]["digest"]
            for _ in range(100):
                if self.hostile.requested("/v2/stall-layer/blobs/" + layer):
                    break
                time.sleep(0.1)
            self.assertTrue(self.hostile.requested("/v2/stall-layer/blobs/" + layer),
                            "the stalled request did not reach its layer within 10 s")
            t0 = time.monotonic()
            self.list()
            took = time.monotonic() - t0
            self.assertLess(took, 2, "List took %.1f s during a stalled pull" % took)
            t0 = time.monotonic()
            self.c.PullBytecode(pb.PullBytecodeRequest(image=image_request(other)), timeout=60)
            took = time.monotonic() - t0
            t.log("another image pulled in %.1f s during a stalled pull" % took)
            self.assertLess(took, 10, "another image took %.1f s to pull during a stalled pull "
                            "(the cache lock held during the download?)" % took)
        finally:
            th.join(timeout=130)
        self.assertFalse(th.is_alive(), "the stalled PullBytecode never ended")
        t.log("stalled PullBytecode: %s after %.1f s" % (result.get("rc"), result.get("took", 0)))
        self.assertRegex(result.get("rc", ""),
                         re.compile("^DEADLINE_EXCEEDED: .*(stall|timed? ?out|timeout)", re.I))


def main(argv):
    return t.run_tests(argv, sys.modules[__name__], [HostileImageTest], own_only=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
