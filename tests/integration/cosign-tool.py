#!/usr/bin/python3
"""Test tooling for test-image-sign.sh, independent of bpfman's own signer: writes a small
OCI image layout (pushed with skopeo by the test), and makes cosign signatures by hand with
the openssl CLI, pushed with a minimal registry client (plain HTTP, loopback only):

  layout DIR TAG                      an OCI layout with one small image (random content)
  classic REG REPO DIGEST KEY [--names D] [--append]
                                      the classic .sig format (fact sheet section 5)
  bundle REG REPO DIGEST KEY [--subject D] [--keyless] [--no-tag]
                                      a cosign 3 bundle (DSSE, in-toto), as a referrer
                                      listed under the sha256-<hex> fallback tag (with
                                      --no-tag: not listed; the index is printed instead)
  fetch-classic REG REPO DIGEST OUTDIR
                                      the .sig layers: OUTDIR/N.payload and N.sig (DER)
  tamper REG REPO DIGEST payload|signature
                                      rewrites the .sig manifest with one byte changed in
                                      the first layer's payload or signature
  referrers-proxy PORT REG INDEX_FILE a registry with the OCI 1.1 referrers API: answers
                                      GET /v2/<name>/referrers/<digest> with INDEX_FILE and
                                      forwards every other GET/HEAD to REG (registry 2.8
                                      has no such API)
"""
import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import io
import gzip
import urllib.error
import urllib.request

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
ANN_SIG = "dev.cosignproject.cosign/signature"
ACCEPT = ", ".join([MT_INDEX, MT_MANIFEST,
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=20) as r:
        return r.status, dict(r.headers), r.read()


class Registry:
    def __init__(self, host, repo):
        self.base = "http://%s/v2/%s" % (host, repo)
        self.host = host

    def push_blob(self, data):
        d = sha256(data)
        _, h, _ = request("POST", self.base + "/blobs/uploads/", b"")
        loc = h["Location"]
        if loc.startswith("/"):
            loc = "http://" + self.host + loc
        loc += ("&" if "?" in loc else "?") + "digest=" + d
        request("PUT", loc, data, {"Content-Type": "application/octet-stream"})
        return {"digest": d, "size": len(data)}

    def put_manifest(self, ref, mt, body):
        request("PUT", self.base + "/manifests/" + ref, body, {"Content-Type": mt})
        return sha256(body)

    def get_manifest(self, ref):
        try:
            return request("GET", self.base + "/manifests/" + ref, None, {"Accept": ACCEPT})[2]
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def get_blob(self, digest):
        return request("GET", self.base + "/blobs/" + digest)[2]


def openssl_sign(key, data):
    """DER ECDSA over SHA-256 (EC keys) or pure Ed25519, made by the openssl CLI."""
    kind = subprocess.run(["openssl", "pkey", "-in", key, "-noout", "-text"],
                          check=True, capture_output=True, text=True).stdout
    # pkeyutl -rawin needs a file (it cannot read a one-shot message from a pipe)
    tmp = key + ".msg"
    if "ED25519" in kind.upper():
        cmd = ["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", tmp]
    else:
        cmd = ["openssl", "dgst", "-sha256", "-sign", key, tmp]
    with open(tmp, "wb") as f:
        f.write(data)
    try:
        return subprocess.run(cmd, check=True, capture_output=True).stdout
    finally:
        os.unlink(tmp)


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def cmd_layout(d, tag):
    blobs = os.path.join(d, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        with open(os.path.join(blobs, hashlib.sha256(data).hexdigest()), "wb") as f:
            f.write(data)
        return {"digest": sha256(data), "size": len(data)}

    content = bytes(random.getrandbits(8) for _ in range(256))
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        info = tarfile.TarInfo("prog.o")
        info.size = len(content)
        t.addfile(info, io.BytesIO(content))
    layer = gzip.compress(tar.getvalue(), mtime=0)
    config = compact({"architecture": "amd64", "os": "linux",
                      "config": {"Labels": {"io.ebpf.programs": "{\"pass\":\"xdp\"}"}},
                      "rootfs": {"type": "layers", "diff_ids": [sha256(tar.getvalue())]}})
    man = compact({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                   "config": dict(mediaType=MT_CONFIG, **put(config)),
                   "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip",
                                   **put(layer))]})
    desc = dict(mediaType=MT_MANIFEST, **put(man))
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(d, "index.json"), "w") as f:
        f.write(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    print(desc["digest"])


def simple_payload(ref, digest):
    # exactly the bytes of fact sheet section 3.2 (Go's field order, no spaces)
    return ('{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":'
            '"%s"},"type":"cosign container image signature"},"optional":null}' % (ref, digest)).encode()


def sig_manifest(reg, layers):
    diff_ids = [l["digest"] for l in layers]
    config = compact({"architecture": "", "created": "0001-01-01T00:00:00Z", "os": "",
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}})
    cdesc = reg.push_blob(config)
    return compact({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                    "config": dict(mediaType=MT_CONFIG, **cdesc), "layers": layers})


def cmd_classic(host, repo, digest, key, names=None, append=False):
    reg = Registry(host, repo)
    payload = simple_payload("%s/%s" % (host, repo), names or digest)
    sig = base64.b64encode(openssl_sign(key, payload)).decode()
    layer = dict(mediaType=MT_SIMPLE, **reg.push_blob(payload))
    layer["annotations"] = {ANN_SIG: sig}
    tag = "sha256-%s.sig" % digest[7:]
    layers = []
    if append:
        old = reg.get_manifest(tag)
        if old:
            layers = json.loads(old)["layers"]
    reg.put_manifest(tag, MT_MANIFEST, sig_manifest(reg, layers + [layer]))


def cmd_bundle(host, repo, digest, key, subject=None, keyless=False, no_tag=False):
    reg = Registry(host, repo)
    stmt = compact({"_type": "https://in-toto.io/Statement/v1",
                    "subject": [{"name": "%s/%s" % (host, repo),
                                 "digest": {"sha256": (subject or digest)[7:]}}],
                    "predicateType": "https://sigstore.dev/cosign/sign/v1", "predicate": {}})
    ptype = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(stmt), stmt)
    sig = base64.b64encode(openssl_sign(key, pae)).decode()
    if keyless:
        material = {"certificate": {"rawBytes": base64.b64encode(b"not a real cert").decode()},
                    "tlogEntries": []}
    else:
        material = {"publicKey": {"hint": "test-key"}, "tlogEntries": []}
    bundle = compact({"mediaType": MT_BUNDLE, "verificationMaterial": material,
                      "dsseEnvelope": {"payload": base64.b64encode(stmt).decode(),
                                       "payloadType": ptype,
                                       "signatures": [{"sig": sig, "keyid": ""}]}})
    bdesc = reg.push_blob(bundle)
    empty = reg.push_blob(b"{}")
    image = reg.get_manifest(digest)
    ref_man = compact({"schemaVersion": 2, "mediaType": MT_MANIFEST, "artifactType": MT_BUNDLE,
                       "config": dict(mediaType=MT_EMPTY, **empty),
                       "layers": [dict(mediaType=MT_BUNDLE, **bdesc)],
                       "subject": {"mediaType": MT_MANIFEST, "digest": digest, "size": len(image)},
                       "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                                       "dev.sigstore.bundle.predicateType":
                                           "https://sigstore.dev/cosign/sign/v1"}})
    rdigest = sha256(ref_man)
    reg.put_manifest(rdigest, MT_MANIFEST, ref_man)
    entry = {"mediaType": MT_MANIFEST, "digest": rdigest, "size": len(ref_man),
             "artifactType": MT_BUNDLE}
    if no_tag:  # for a registry with the referrers API: print the index it would answer
        print(compact({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [entry]}).decode())
        return
    # the referrers tag schema: an index the clients maintain themselves
    tag = "sha256-%s" % digest[7:]
    old = reg.get_manifest(tag)
    entries = json.loads(old)["manifests"] if old else []
    entries.append(entry)
    reg.put_manifest(tag, MT_INDEX, compact({"schemaVersion": 2, "mediaType": MT_INDEX,
                                             "manifests": entries}))


def cmd_fetch_classic(host, repo, digest, outdir):
    reg = Registry(host, repo)
    man = json.loads(reg.get_manifest("sha256-%s.sig" % digest[7:]))
    for i, l in enumerate(man["layers"]):
        with open(os.path.join(outdir, "%d.payload" % i), "wb") as f:
            f.write(reg.get_blob(l["digest"]))
        with open(os.path.join(outdir, "%d.sig" % i), "wb") as f:
            f.write(base64.b64decode(l["annotations"][ANN_SIG]))
    print(len(man["layers"]))


def cmd_tamper(host, repo, digest, what):
    reg = Registry(host, repo)
    tag = "sha256-%s.sig" % digest[7:]
    man = json.loads(reg.get_manifest(tag))
    layer = man["layers"][0]
    if what == "payload":
        payload = bytearray(reg.get_blob(layer["digest"]))
        payload[-3] ^= 1  # inside the digest string: still JSON
        layer.update(reg.push_blob(bytes(payload)))
    else:
        sig = bytearray(base64.b64decode(layer["annotations"][ANN_SIG]))
        sig[-1] ^= 1
        layer["annotations"][ANN_SIG] = base64.b64encode(bytes(sig)).decode()
    reg.put_manifest(tag, MT_MANIFEST, sig_manifest(reg, man["layers"]))


def cmd_referrers_proxy(port, upstream, index_file):
    import http.server
    import re
    with open(index_file, "rb") as f:
        index = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, status, headers, body, with_body):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def forward(self, with_body):
            if re.match(r"^/v2/.+/referrers/sha256:[0-9a-f]{64}$", self.path):
                self.answer(200, {"Content-Type": MT_INDEX}, index, with_body)
                return
            req = urllib.request.Request("http://" + upstream + self.path, method=self.command,
                                         headers={k: v for k, v in self.headers.items()
                                                  if k.lower() in ("accept", "authorization")})
            try:
                with urllib.request.urlopen(req, timeout=20) as r:
                    status, hdrs, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, hdrs, body = e.code, e.headers, e.read()
            keep = {k: v for k, v in hdrs.items()
                    if k.lower() in ("content-type", "docker-content-digest", "www-authenticate")}
            self.answer(status, keep, body, with_body)

        def do_GET(self):
            self.forward(True)

        def do_HEAD(self):
            self.forward(False)

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


def main(argv):
    cmd, args = argv[1], argv[2:]
    opts = {}
    pos = []
    i = 0
    while i < len(args):
        if args[i] == "--names":
            opts["names"] = args[i + 1]
            i += 1
        elif args[i] == "--subject":
            opts["subject"] = args[i + 1]
            i += 1
        elif args[i] == "--append":
            opts["append"] = True
        elif args[i] == "--keyless":
            opts["keyless"] = True
        elif args[i] == "--no-tag":
            opts["no_tag"] = True
        else:
            pos.append(args[i])
        i += 1
    {"layout": cmd_layout, "classic": cmd_classic, "bundle": cmd_bundle,
     "fetch-classic": cmd_fetch_classic, "tamper": cmd_tamper,
     "referrers-proxy": cmd_referrers_proxy}[cmd](*pos, **opts)


if __name__ == "__main__":
    main(sys.argv)
