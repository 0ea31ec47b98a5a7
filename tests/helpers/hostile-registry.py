#!/usr/bin/python3
"""A registry (distribution API v2, pull side only) that serves hostile bytecode images, for
tests/integration/test-image-hostile.sh.

Every repository name is a scenario (or --scenario NAME serves one scenario under every
name). Each scenario is a well-formed bytecode image (one tar+gzip layer holding the ELF
object given with --object, a config with the io.ebpf.* labels) with exactly one thing
wrong, so that a client that refuses it can only be refusing that thing. The scenario
"good" has nothing wrong: the tests pull it first, proving the server serves images the
client accepts.

    hostile-registry.py --object PROG.o --function FN --type TYPE [--port-file F] [--log F]
                        [--stall-seconds N] [--scenario NAME] [--list]

It listens on 127.0.0.1 on a port the kernel chooses, prints that port on stdout (and
writes it to --port-file) once it answers. Besides the registry paths it serves
    GET /hostile/ref/<scenario>    the reference (without host) a client should pull
    GET /hostile/scenarios         the scenario names, one a line
    GET /hostile/hits/<scenario>   how many requests that repository got
Payloads are built with tarfile/gzip/zlib when a scenario is first asked for (the gzip bomb
takes a few seconds to compress) and kept in memory, except streamed ones (zeros).

Python standard library only; for tests, never for production."""

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import re
import socket
import struct
import sys
import tarfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MIB = 1 << 20
GIB = 1 << 30


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def goarch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x",
            "riscv64": "riscv64"}.get(m, m)


# --- payloads ---------------------------------------------------------------------------


# The tar members' mtime: set per scenario (from its name) so that every scenario's layer,
# config and manifest have digests of their own. A client whose cache already holds the
# control image ("good") must download each scenario's blobs, not reuse good ones.
TAR_MTIME = 0


def tar_entry(name, kind="file", data=b"", linkname=""):
    """One member for make_tar: (TarInfo, data or None)."""
    ti = tarfile.TarInfo(name)
    ti.mtime = TAR_MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.mode = 0o644
    if kind == "file":
        ti.type = tarfile.REGTYPE
        ti.size = len(data)
        return ti, data
    ti.size = 0
    ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
               "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}[kind]
    if kind == "dir":
        ti.mode = 0o755
    if kind in ("chr", "blk"):
        ti.devmajor, ti.devminor = 1, 3  # /dev/null
    ti.linkname = linkname
    return ti, None


def make_tar(entries):
    buf = io.BytesIO()
    # GNU format: absolute names and ".." are written exactly as given
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gz(b):
    return gzip.compress(b, compresslevel=9, mtime=0)


def gzip_bomb(head, total):
    """(diff_id, tar+gzip) of one file `prog.o` of `total` bytes: head (a real ELF object, so
    that a check of the first bytes passes) then zeros. ~1 MiB per GiB."""
    ti, _ = tar_entry("prog.o", data=b"")
    ti.size = total
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    h = hashlib.sha256()
    out = []

    def put(b):
        h.update(b)
        out.append(c.compress(b))
    put(ti.tobuf(format=tarfile.GNU_FORMAT))
    put(head)
    left = total - len(head)
    zeros = bytes(MIB)
    while left > 0:
        n = min(left, MIB)
        put(zeros[:n])
        left -= n
    put(bytes((-total) % 512 + 1024))  # block padding and the end-of-archive blocks
    out.append(c.flush())
    return "sha256:" + h.hexdigest(), b"".join(out)


def other_endian_elf(function):
    """A small ELF relocatable eBPF object in the byte order the host does NOT use: an "xdp"
    section holding `r0 = XDP_PASS; exit` under the global function symbol `function`, a
    "license" section, the symbol and name tables. Structurally valid (readelf and
    llvm-objdump read it), so the only thing wrong with it here is its byte order."""
    big = sys.byteorder == "little"
    e = ">" if big else "<"

    def insn(op, dst, src, off, imm):  # the register nibbles' order follows the byte order
        regs = (dst << 4 | src) if big else (src << 4 | dst)
        return struct.pack(e + "BBhi", op, regs, off, imm)
    code = insn(0xb7, 0, 0, 0, 2) + insn(0x95, 0, 0, 0, 0)  # mov r0, 2; exit
    lic = b"GPL\0"
    strtab = b"\0" + function.encode() + b"\0"
    symtab = bytes(24) + struct.pack(e + "IBBHQQ", 1, 0x12, 0, 1, 0, len(code))  # GLOBAL FUNC
    shstr = b"\0xdp\0license\0.symtab\0.strtab\0.shstrtab\0"
    parts, off = [], 64
    sections = []  # (name offset, type, flags, data, align, link, info, entsize)
    for name, typ, flags, data, align, link, info, entsize in (
            (1, 1, 0x6, code, 8, 0, 0, 0),           # xdp: PROGBITS, ALLOC|EXECINSTR
            (5, 1, 0x3, lic, 1, 0, 0, 0),            # license: PROGBITS, WRITE|ALLOC
            (13, 2, 0, symtab, 8, 4, 1, 24),         # .symtab, its names in section 4
            (21, 3, 0, strtab, 1, 0, 0, 0),          # .strtab
            (29, 3, 0, shstr, 1, 0, 0, 0)):          # .shstrtab
        pad = (-off) % align
        parts.append(bytes(pad))
        off += pad
        sections.append(struct.pack(e + "IIQQQQIIQQ", name, typ, flags, 0, off, len(data),
                                    link, info, align, entsize))
        parts.append(data)
        off += len(data)
    pad = (-off) % 8
    parts.append(bytes(pad))
    off_sh = off + pad
    ident = b"\x7fELF" + bytes([2, 2 if big else 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", 1, 247, 1, 0, 0, off_sh, 0, 64, 0, 0, 64,
                              len(sections) + 1, len(sections))
    return hdr + b"".join(parts) + bytes(64) + b"".join(sections)


# --- responses --------------------------------------------------------------------------


class Resp:
    """What one path answers. body: bytes, or None with stream_size (zeros, streamed).
    mode: "normal", "truncate" (Content-Length says more than is sent, then the connection
    is closed), "stall" (headers then nothing), "stall-mid" (half the body then nothing),
    "trickle" (two bytes a second), "close-delimited" (no Content-Length; the body ends when
    the connection closes), "redirect-loop" (307 to a second URL, which sends back here),
    "redirect-chain" (307 to ever new URLs)."""

    def __init__(self, body=b"", ctype="application/octet-stream", mode="normal", digest=None,
                 stream_size=None):
        self.body = body
        self.ctype = ctype
        self.mode = mode
        self.digest = digest  # Docker-Content-Digest header (may lie), or None
        self.stream_size = stream_size


class Image:
    """The manifests (by tag and digest) and blobs one repository serves."""

    def __init__(self, ref_suffix=":v1"):
        self.manifests = {}
        self.blobs = {}
        self.ref_suffix = ref_suffix  # what a client appends to the repository name

    def blob(self, data, **kw):
        d = sha256(data)
        self.blobs[d] = Resp(data, digest=d, **kw)
        return {"digest": d, "size": len(data)}

    def manifest(self, obj_or_bytes, tag="v1", mt=MT_MANIFEST):
        b = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
        d = sha256(b)
        r = Resp(b, ctype=mt, digest=d)
        if tag:
            self.manifests[tag] = r
        self.manifests[d] = r
        return {"mediaType": mt, "digest": d, "size": len(b)}


class Builder:
    """Builds a scenario's image: the good parts, with hooks to spoil one of them."""

    def __init__(self, opts):
        self.obj = opts.object_bytes
        self.function = opts.function
        self.type = opts.type

    def labels(self):
        return {"io.ebpf.programs": json.dumps({self.function: self.type}),
                "io.ebpf.maps": json.dumps({})}

    def layer(self, entries=None):
        """(tar, tar+gzip) of entries, default one file prog.o with the object."""
        if entries is None:
            entries = [tar_entry("prog.o", data=self.obj)]
        t = make_tar(entries)
        return t, gz(t)

    def config(self, diff_id, labels=None, arch=None):
        return json.dumps({
            "architecture": arch or goarch(), "os": "linux",
            "config": {"Labels": self.labels() if labels is None else labels},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }).encode()

    def image(self, img=None, entries=None, labels=None, layer_gz=None, diff_id=None,
              layer_kw=None, config_kw=None, spoil_manifest=None, tag="v1",
              layer_mt=MT_LAYER, extra_layers=0, arch=None):
        """A complete single-platform image in img; returns the manifest descriptor."""
        img = img or Image()
        if layer_gz is None:
            tar, layer_gz = self.layer(entries)
            diff_id = sha256(tar)
        cfg = self.config(diff_id, labels, arch)
        cdesc = img.blob(cfg, **(config_kw or {}))
        ldesc = img.blob(layer_gz, **(layer_kw or {}))
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
             "config": {"mediaType": MT_CONFIG, **cdesc},
             "layers": [{"mediaType": layer_mt, **ldesc}]}
        for i in range(extra_layers):
            t2, g2 = self.layer([tar_entry("extra%d.o" % i, data=self.obj)])
            m["layers"].append({"mediaType": MT_LAYER, **img.blob(g2)})
        if spoil_manifest:
            spoil_manifest(m, img)
        return img, img.manifest(m, tag=tag)


def scenarios(opts):
    """name -> function building its Image. Each docstring says what is wrong."""
    B = Builder(opts)
    S = {}

    def scenario(f):
        name = f.__name__.replace("_", "-").rstrip("-")

        def build():
            global TAR_MTIME
            TAR_MTIME = zlib.crc32(name.encode()) & 0x3fffffff
            return f()
        build.__doc__ = f.__doc__
        S[name] = build
        return build

    @scenario
    def good():
        """nothing: the control image"""
        return B.image()[0]

    @scenario
    def planted():
        """nothing: a second control image, with digests of its own, for a test to copy into
        a real registry and spoil in that registry's storage"""
        return B.image()[0]

    @scenario
    def good_index():
        """nothing: an index with the host's platform among others"""
        img = Image()
        _, d_host = B.image(img, tag=None)
        _, d_other = B.image(img, tag=None, arch="s390x" if goarch() != "s390x" else "ppc64le")
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [
            {**d_other, "platform": {"os": "linux", "architecture": "s390x" if goarch() != "s390x" else "ppc64le"}},
            {**d_host, "platform": {"os": "linux", "architecture": goarch()}}]}
        img.manifest(idx, mt=MT_INDEX)
        return img

    @scenario
    def manifest_digest():
        """the manifest fetched by its digest is other bytes (and the Docker-Content-Digest
        header claims the digest asked for)"""
        img, desc = B.image(tag=None)
        good = img.manifests[desc["digest"]]
        tampered = good.body.replace(b'"schemaVersion": 2', b'"schemaVersion":  2')
        img.manifests[desc["digest"]] = Resp(tampered, ctype=MT_MANIFEST, digest=desc["digest"])
        img.ref_suffix = "@" + desc["digest"]
        return img

    @scenario
    def index_manifest_digest():
        """an index names the host's manifest by digest; that digest serves other bytes"""
        img, desc = B.image(tag=None)
        good = img.manifests[desc["digest"]]
        tampered = good.body + b"\n"
        img.manifests[desc["digest"]] = Resp(tampered, ctype=MT_MANIFEST, digest=desc["digest"])
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [
            {**desc, "platform": {"os": "linux", "architecture": goarch()}}]}
        img.manifest(idx, mt=MT_INDEX)
        return img

    def tamper_blob(img, digest):
        r = img.blobs[digest]
        b = bytearray(r.body)
        b[len(b) // 2] ^= 0x01
        img.blobs[digest] = Resp(bytes(b), digest=digest)

    @scenario
    def lying_digest_header():
        """the manifest (good) comes with a Docker-Content-Digest naming other bytes: a client
        must hash what it got (the digest it records and verifies signatures for)"""
        img, _ = B.image()
        img.manifests["v1"].digest = sha256(b"some other manifest")
        return img

    @scenario
    def config_digest():
        """the config blob is other bytes of the same size"""
        img, _ = B.image(spoil_manifest=lambda m, img: tamper_blob(img, m["config"]["digest"]))
        return img

    @scenario
    def layer_digest():
        """the layer blob is other bytes of the same size"""
        img, _ = B.image(spoil_manifest=lambda m, img: tamper_blob(img, m["layers"][0]["digest"]))
        return img

    @scenario
    def manifest_huge():
        """the manifest is 10 MiB (valid JSON: a huge annotation), with its Content-Length"""
        img, _ = B.image(spoil_manifest=lambda m, img: m.update(
            annotations={"padding": "x" * (10 * MIB)}))
        return img

    @scenario
    def manifest_huge_unsized():
        """the manifest is 10 MiB and sent without Content-Length (ends at connection close)"""
        img, _ = B.image(spoil_manifest=lambda m, img: m.update(
            annotations={"padding": "x" * (10 * MIB)}))
        img.manifests["v1"].mode = "close-delimited"
        return img

    @scenario
    def blob_longer():
        """the layer blob is 2 MiB longer than its descriptor's size (digest of the whole)"""
        def spoil(m, img):
            d = m["layers"][0]["digest"]
            body = img.blobs[d].body + os.urandom(2 * MIB)
            img.blobs[d] = Resp(body, digest=d)
        return B.image(spoil_manifest=spoil)[0]

    @scenario
    def blob_shorter():
        """the layer blob is shorter than its descriptor's size"""
        def spoil(m, img):
            d = m["layers"][0]["digest"]
            img.blobs[d] = Resp(img.blobs[d].body[:-100], digest=d)
        return B.image(spoil_manifest=spoil)[0]

    @scenario
    def blob_over_limit():
        """the layer's descriptor says 300 MiB (over the default 256 MiB blob limit); the blob
        is streamed zeros of that size if anyone asks"""
        def spoil(m, img):
            d = "sha256:" + hashlib.sha256(b"zeros-300MiB").hexdigest()
            m["layers"][0].update(digest=d, size=300 * MIB)
            img.blobs[d] = Resp(None, digest=d, stream_size=300 * MIB)
        return B.image(spoil_manifest=spoil)[0]

    @scenario
    def blob_over_limit_sized_small():
        """the descriptor says a small size, the server sends 300 MiB (Content-Length too)"""
        def spoil(m, img):
            d = m["layers"][0]["digest"]
            img.blobs[d] = Resp(None, digest=d, stream_size=300 * MIB)
        return B.image(spoil_manifest=spoil)[0]

    @scenario
    def layer_two_files():
        """the layer holds two regular files"""
        return B.image(entries=[tar_entry("prog.o", data=B.obj),
                                tar_entry("second.o", data=B.obj)])[0]

    @scenario
    def layer_no_file():
        """the layer holds only a directory"""
        return B.image(entries=[tar_entry("emptydir", "dir")])[0]

    @scenario
    def layer_empty_tar():
        """the layer is an empty tar archive (end-of-archive blocks only)"""
        return B.image(entries=[])[0]

    @scenario
    def tar_dotdot():
        """the only file is named ../escape.o"""
        return B.image(entries=[tar_entry("../escape.o", data=B.obj)])[0]

    @scenario
    def tar_dotdot_inner():
        """the only file is named sub/../../escape.o"""
        return B.image(entries=[tar_entry("sub/../../escape.o", data=B.obj)])[0]

    @scenario
    def tar_absolute():
        """the only file is named /abs/escape.o"""
        return B.image(entries=[tar_entry("/abs/escape.o", data=B.obj)])[0]

    def with_good_file(kind, name, linkname=""):
        return B.image(entries=[tar_entry("prog.o", data=B.obj),
                                tar_entry(name, kind, linkname=linkname)])[0]

    @scenario
    def tar_symlink():
        """prog.o plus a symlink sym-entry -> /etc/shadow"""
        return with_good_file("symlink", "sym-entry", "/etc/shadow")

    @scenario
    def tar_symlink_only():
        """only a symlink prog.o -> /etc/shadow"""
        return B.image(entries=[tar_entry("prog.o", "symlink", linkname="/etc/shadow")])[0]

    @scenario
    def tar_hardlink():
        """prog.o plus a hard link hard-entry -> prog.o"""
        return with_good_file("hardlink", "hard-entry", "prog.o")

    @scenario
    def tar_chardev():
        """prog.o plus a character device chr-entry (1,3)"""
        return with_good_file("chr", "chr-entry")

    @scenario
    def tar_blockdev():
        """prog.o plus a block device blk-entry"""
        return with_good_file("blk", "blk-entry")

    @scenario
    def tar_fifo():
        """prog.o plus a FIFO fifo-entry"""
        return with_good_file("fifo", "fifo-entry")

    @scenario
    def gzip_bomb_():  # (the trailing _ keeps the name from the module's gzip_bomb)
        """the layer is 1 GiB (an ELF object then zeros) compressed to ~1 MiB"""
        diff_id, bomb = gzip_bomb(B.obj, 1 * GIB)
        return B.image(layer_gz=bomb, diff_id=diff_id)[0]

    @scenario
    def not_gzip():
        """the layer (said to be tar+gzip) is a plain tar"""
        t, _ = B.layer()
        return B.image(layer_gz=t, diff_id=sha256(t))[0]

    @scenario
    def not_elf():
        """the one file is text, not ELF"""
        return B.image(entries=[tar_entry("prog.o", data=b"#!/bin/sh\necho not an object\n" * 20)])[0]

    @scenario
    def wrong_endian():
        """the one file is an ELF eBPF object of the other byte order"""
        return B.image(entries=[tar_entry("prog.o", data=other_endian_elf(B.function))])[0]

    @scenario
    def truncated_layer():
        """the layer's Content-Length is the full size, half is sent, the connection closes"""
        return B.image(layer_kw={"mode": "truncate"})[0]

    @scenario
    def truncated_manifest():
        """the manifest's Content-Length is the full size, half is sent, then close"""
        img, _ = B.image()
        img.manifests["v1"].mode = "truncate"
        return img

    @scenario
    def redirect_loop():
        """the layer blob redirects to a second URL that redirects back, forever"""
        def spoil(m, img):
            d = m["layers"][0]["digest"]
            img.blobs[d].mode = "redirect-loop"
        return B.image(spoil_manifest=spoil)[0]

    @scenario
    def redirect_loop_manifest():
        """the manifest redirects to ever new URLs (?hop=N+1)"""
        img, _ = B.image()
        img.manifests["v1"].mode = "redirect-chain"
        return img

    @scenario
    def stall_layer():
        """the layer's headers are sent, then nothing (the connection stays open)"""
        return B.image(layer_kw={"mode": "stall"})[0]

    @scenario
    def stall_layer_mid():
        """half the layer is sent, then nothing"""
        return B.image(layer_kw={"mode": "stall-mid"})[0]

    @scenario
    def trickle_layer():
        """the layer comes at two bytes a second"""
        return B.image(layer_kw={"mode": "trickle"})[0]

    @scenario
    def stall_manifest():
        """the manifest's headers are sent, then nothing"""
        img, _ = B.image()
        img.manifests["v1"].mode = "stall"
        return img

    @scenario
    def bad_json():
        """the manifest is cut-off JSON (served with a matching digest)"""
        img, _ = B.image()
        body = img.manifests["v1"].body[:-7]
        img.manifests["v1"] = Resp(body, ctype=MT_MANIFEST, digest=sha256(body))
        return img

    @scenario
    def bad_json_config():
        """the config blob is not JSON"""
        img2 = Image()
        _, lg = B.layer()
        cdesc = img2.blob(b'{"architecture": "%s", "os": "linux", "config": {"Labels": ' % goarch().encode())
        ldesc = img2.blob(lg)
        img2.manifest({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                       "config": {"mediaType": MT_CONFIG, **cdesc},
                       "layers": [{"mediaType": MT_LAYER, **ldesc}]})
        return img2

    @scenario
    def deep_json():
        """the manifest is an object holding 100000 nested JSON arrays (a parser that recurses
        without a bound blows its stack)"""
        img = Image()
        body = b'{"schemaVersion": 2, "annotations": ' + b"[" * 100000 + b"]" * 100000 + b"}"
        img.manifests["v1"] = Resp(body, ctype=MT_MANIFEST, digest=sha256(body))
        return img

    @scenario
    def deep_json_config():
        """the config is 100000 nested JSON arrays inside its Labels"""
        img = Image()
        _, lg = B.layer()
        cfg = b'{"config": {"Labels": ' + b"[" * 100000 + b"]" * 100000 + b"}}"
        img.manifest({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                      "config": {"mediaType": MT_CONFIG, **img.blob(cfg)},
                      "layers": [{"mediaType": MT_LAYER, **img.blob(lg)}]})
        return img

    @scenario
    def config_huge():
        """the config's descriptor says 64 MiB (streamed zeros if asked for)"""
        def spoil(m, img):
            d = "sha256:" + hashlib.sha256(b"zeros-64MiB").hexdigest()
            m["config"].update(digest=d, size=64 * MIB)
            img.blobs[d] = Resp(None, digest=d, stream_size=64 * MIB)
        return B.image(spoil_manifest=spoil)[0]

    @scenario
    def index_no_platform():
        """an index whose manifests are for linux/s390x and linux/ppc64le (or mips64le) only"""
        archs = [a for a in ("s390x", "ppc64le", "mips64le") if a != goarch()][:2]
        img = Image()
        entries = []
        for a in archs:
            _, d = B.image(img, tag=None, arch=a)
            entries.append({**d, "platform": {"os": "linux", "architecture": a}})
        img.manifest({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries}, mt=MT_INDEX)
        return img

    @scenario
    def two_layers():
        """the manifest has two layers"""
        return B.image(extra_layers=1)[0]

    @scenario
    def layer_media_type():
        """the layer's media type is tar+zstd (the bytes are tar+gzip)"""
        return B.image(layer_mt="application/vnd.oci.image.layer.v1.tar+zstd")[0]

    @scenario
    def no_labels():
        """the config has no Labels at all"""
        return B.image(labels={})[0]

    @scenario
    def other_function():
        """io.ebpf.programs lists only a function the object does not request"""
        return B.image(labels={"io.ebpf.programs": json.dumps({"not_this_one": B.type}),
                               "io.ebpf.maps": "{}"})[0]

    @scenario
    def schema1():
        """a Docker schema 1 manifest (deprecated, must be refused)"""
        img = Image()
        body = json.dumps({"schemaVersion": 1, "name": "schema1", "tag": "v1",
                           "fsLayers": [], "history": []}).encode()
        r = Resp(body, ctype="application/vnd.docker.distribution.manifest.v1+prettyjws",
                 digest=sha256(body))
        img.manifests["v1"] = r
        return img

    return S


# --- the server -------------------------------------------------------------------------


class State:
    def __init__(self, opts):
        self.opts = opts
        self.builders = scenarios(opts)
        self.images = {}
        self.hits = {}
        self.lock = threading.Lock()

    def scenario_of(self, repo):
        return self.opts.scenario or repo

    def image(self, repo):
        name = self.scenario_of(repo)
        if name not in self.builders:
            return None
        with self.lock:  # build once; concurrent requests wait
            if name not in self.images:
                self.images[name] = self.builders[name]()
            return self.images[name]


PATH_RE = re.compile(r"^/v2/(.+)/(manifests|blobs)/([^/?]+)(?:\?(.*))?$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile-registry/1"

    def log_message(self, fmt, *args):
        if self.server.logf:
            self.server.logf.write("%.3f %s %s\n" % (time.time(), self.address_string(), fmt % args))
            self.server.logf.flush()

    def send_json(self, status, obj, extra=None):
        b = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b)

    def send_text(self, status, text):
        b = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b)

    def not_found(self, code, what):
        self.send_json(404, {"errors": [{"code": code, "message": what + " unknown", "detail": None}]})

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        st = self.server.state
        path = self.path
        if path == "/v2/" or path == "/v2":
            return self.send_json(200, {})
        if path.startswith("/hostile/"):
            return self.hostile(path[len("/hostile/"):])
        t = re.match(r"^/v2/(.+)/tags/list$", path)
        if t and self.server.state.image(t.group(1)):
            img = self.server.state.image(t.group(1))
            return self.send_json(200, {"name": t.group(1), "tags": [k for k in img.manifests
                                                                   if ":" not in k]})
        m = PATH_RE.match(path)
        if not m:
            return self.send_text(404, "404 page not found\n")
        repo, kind, ref, query = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        with st.lock:
            st.hits[repo] = st.hits.get(repo, 0) + 1
        img = st.image(repo)
        if img is None:
            return self.not_found("NAME_UNKNOWN", "repository")
        table = img.manifests if kind == "manifests" else img.blobs
        r = table.get(ref)
        if r is None:
            return self.not_found("MANIFEST_UNKNOWN" if kind == "manifests" else "BLOB_UNKNOWN", kind[:-1])
        self.serve(r, repo, kind, ref, query)

    def serve(self, r, repo, kind, ref, query):
        base = "/v2/%s/%s/%s" % (repo, kind, ref)
        if r.mode == "redirect-loop":  # A -> B -> A -> ...
            return self.redirect(base if query else base + "?hop=1")
        if r.mode == "redirect-chain":  # ever new URLs
            n = int(query.split("=")[1]) + 1 if query.startswith("hop=") else 1
            return self.redirect("%s?hop=%d" % (base, n))
        size = r.stream_size if r.body is None else len(r.body)
        self.send_response(200)
        self.send_header("Content-Type", r.ctype)
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        if r.digest:
            self.send_header("Docker-Content-Digest", r.digest)
        if r.mode == "close-delimited":
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        if r.mode == "stall":
            return self.stall()
        if r.mode == "trickle":
            return self.trickle(r, size)
        if r.mode in ("truncate", "stall-mid"):
            self.write_body(r, size // 2)
            if r.mode == "stall-mid":
                return self.stall()
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.write_body(r, size)
        if r.mode == "close-delimited":
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def write_body(self, r, n):
        try:
            if r.body is not None:
                self.wfile.write(r.body[:n])
                return
            chunk = bytes(MIB)
            while n > 0:
                k = min(n, MIB)
                self.wfile.write(chunk[:k])
                n -= k
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def stall(self):
        """Keep the connection open and send nothing, for at most --stall-seconds (so that a
        thread of ours never hangs forever), or until the client goes away."""
        self.wfile.flush()
        deadline = time.monotonic() + self.server.stall_seconds
        self.connection.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                if self.connection.recv(4096) == b"":
                    break  # the client closed
            except socket.timeout:
                continue
            except OSError:
                break
        self.close_connection = True

    def trickle(self, r, size):
        """Two bytes a second: never quite a stall, never done (for at most --stall-seconds)."""
        deadline = time.monotonic() + self.server.stall_seconds
        try:
            for i in range(size):
                if time.monotonic() >= deadline:
                    break
                self.wfile.write(r.body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass
        self.close_connection = True

    def redirect(self, location):
        self.send_response(307)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def hostile(self, what):
        st = self.server.state
        if what == "scenarios":
            return self.send_text(200, "".join(n + "\n" for n in sorted(st.builders)))
        if what.startswith("ref/"):
            name = what[4:]
            img = st.image(name)
            if img is None:
                return self.send_text(404, "no scenario %s\n" % name)
            return self.send_text(200, name + img.ref_suffix + "\n")
        if what.startswith("hits/"):
            return self.send_text(200, "%d\n" % st.hits.get(what[5:], 0))
        if what.startswith("doc/"):
            f = st.builders.get(what[4:])
            return self.send_text(200 if f else 404, (f.__doc__ or "") + "\n" if f else "none\n")
        return self.send_text(404, "unknown\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--object", help="the ELF object the images carry")
    ap.add_argument("--function", default="xdp_pass", help="its program function")
    ap.add_argument("--type", default="xdp", help="that program's kernel type name")
    ap.add_argument("--scenario", help="serve this scenario under every repository name")
    ap.add_argument("--stall-seconds", type=float, default=120,
                    help="how long a stalling answer keeps its connection open")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--log", help="log requests to this file")
    ap.add_argument("--list", action="store_true", help="print the scenarios and what is wrong")
    opts = ap.parse_args()
    opts.object_bytes = open(opts.object, "rb").read() if opts.object else b""
    if opts.list:
        for name, f in sorted(scenarios(opts).items()):
            print("%-28s %s" % (name, " ".join((f.__doc__ or "").split())))
        return 0
    if not opts.object:
        ap.error("--object is required")
    st = State(opts)
    if opts.scenario and opts.scenario not in st.builders:
        ap.error("unknown scenario %s" % opts.scenario)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = st
    srv.stall_seconds = opts.stall_seconds
    srv.logf = open(opts.log, "a") if opts.log else None
    port = srv.server_address[1]
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, opts.port_file)
    print(port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
