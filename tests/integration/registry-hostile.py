#!/usr/bin/python3
"""A misbehaving registry for tests/integration/test-registry.sh: HTTP-level hostile
answers the client must refuse, each under its own repository name. Loopback only.

    registry-hostile.py PORT_FILE LOG

Listens on two free ports of 127.0.0.1 (the second is "another host" for redirects: a
different port is a different origin) and writes "PORT OTHER_PORT" to PORT_FILE. Every
request is logged to LOG as "METHOD PATH auth=<yes|no> ctype=<Content-Type>".

The blob all repositories know is BLOB (bytes below); its digest is BLOB_DIGEST.
  /v2/                              200 {}; once LOG.basic exists, 401 Basic to a
                                    request without Authorization
  stall/manifests/*                 headers, 10 bytes, then silence
  stall/blobs/*                     same
  trickle/blobs/*                   two bytes a second
  loop/manifests/*                  302 to itself, forever
  huge404/manifests/*               404 with an endless error body, sent slowly
  trunc/blobs/<d>                   Content-Length of BLOB, half of it, then close
  short/blobs/<d>                   no Content-Length, half of BLOB, then close
  long/blobs/<d>                    BLOB and more bytes (Content-Length says so)
  badblob/blobs/<d>                 the right size, other bytes, a lying Docker-Content-Digest
  big/manifests/*                   a 5 MiB manifest
  redir/blobs/<d>                   307 to the other port's /storage/<d>
  echo/manifests/*                  400 whose error message repeats the Authorization header
                                    (decoded), as a hostile registry could
  rel/.../blobs/uploads/            an upload whose Locations are relative and carry
                                    ?_state=...; checks the closing PUT has _state and digest
  rel/.../blobs/<d>                 HEAD 404 (not there yet)
  refs/referrers/<d>                an OCI 1.1 referrers index (a registry that has the API)
  refs/manifests/*                  JSON that is not an object
  have/blobs/<d>                    HEAD 200 for every blob; any other request 500
  twoscopes/manifests/*             401 Bearer with two scopes (one naming host:port) and a
                                    realm with a query; /token logs its query to LOG.token
  wrongdigest/manifests/<digest>    a manifest that does not hash to the digest asked for
"""
import base64
import hashlib
import http.server
import os
import sys
import threading
import time
import urllib.parse

PORT_FILE, LOG = sys.argv[1:3]
BLOB = bytes(range(256)) * 64  # 16 KiB
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
uploads = {}
other_port = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def log(self):
        with open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} auth={'yes' if self.headers.get('Authorization') else 'no'} "
                    f"ctype={self.headers.get('Content-Type', '')}\n")

    def answer(self, code, body=b"", headers=None, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        self.log()
        url = urllib.parse.urlparse(self.path)
        parts = url.path.split("/")
        if url.path == "/v2/":
            if self.headers.get("Authorization") is None and os.path.exists(LOG + ".basic"):
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                   {"WWW-Authenticate": 'Basic realm="hostile"'})
            return self.answer(200, b"{}")
        if url.path == "/token":  # for twoscopes: logs the query, hands out one token
            with open(LOG + ".token", "a") as f:
                f.write(url.query + "\n")
            return self.answer(200, b'{"token":"tok-2scopes","expires_in":5}')
        if url.path.startswith("/storage/"):
            return self.answer(200, BLOB, ctype="application/octet-stream")
        if len(parts) < 5 or parts[1] != "v2":
            return self.answer(404, b"404 page not found", ctype="text/plain")
        # /v2/<mode>[/more/name]/<blobs|manifests>/<ref...>: the mode picks the behaviour
        repo = parts[2]
        k = next((i for i in range(3, len(parts)) if parts[i] in ("blobs", "manifests", "referrers")), None)
        if k is None:
            return self.answer(404, b"404 page not found", ctype="text/plain")
        kind, ref = parts[k], "/".join(parts[k + 1:])
        if repo == "stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(60)
            return
        if repo == "huge404":
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(1 << 30))
            self.end_headers()
            msg = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"endless"}]}'
            try:
                self.wfile.write(msg)
                for _ in range(1 << 14):  # 1 GiB, slowly: only a bounded client returns soon
                    self.wfile.write(b" " * 65536)
                    time.sleep(0.01)
            except OSError:
                pass
            self.close_connection = True
            return
        if repo == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(BLOB)))
            self.end_headers()
            try:
                for b in BLOB:  # two bytes a second: never silent, never done
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
            return
        if repo == "loop":
            return self.answer(302, headers={"Location": url.path})
        if repo == "trunc":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BLOB)))
            self.end_headers()
            self.wfile.write(BLOB[: len(BLOB) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if repo == "short":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BLOB[: len(BLOB) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if repo == "long":
            return self.answer(200, BLOB + b"more", ctype="application/octet-stream")
        if repo == "badblob":
            bad = bytes(len(BLOB))
            return self.answer(200, bad, {"Docker-Content-Digest": BLOB_DIGEST},
                               ctype="application/octet-stream")
        if repo == "big":
            body = b'{"schemaVersion":2,"pad":"' + b"a" * (5 << 20) + b'"}'
            return self.answer(200, body, ctype="application/vnd.oci.image.manifest.v1+json")
        if repo == "redir":
            return self.answer(307, headers={"Location": f"http://127.0.0.1:{other_port}/storage/{ref}"})
        if repo == "echo":
            a = self.headers.get("Authorization", "")
            said = a
            if a.startswith("Basic "):
                said = base64.b64decode(a[6:]).decode(errors="replace")
            msg = ('{"errors":[{"code":"DENIED","message":"you sent %s"}]}' % said).encode()
            return self.answer(400, msg)
        if repo == "refs" and kind == "referrers":
            body = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
                    '"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                    '"digest":"%s","size":2,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}'
                    % BLOB_DIGEST).encode()
            return self.answer(200, body, ctype="application/vnd.oci.image.index.v1+json")
        if repo == "refs":
            return self.answer(200, b"[1,2]", ctype="application/vnd.oci.image.index.v1+json")
        if repo == "have":  # every blob is there already; an upload would be a bug
            if kind == "blobs" and self.command == "HEAD":
                return self.answer(200, headers={"Docker-Content-Digest": ref})
            return self.answer(500, b'{"errors":[{"code":"UNSUPPORTED","message":"no uploads here"}]}')
        if repo == "twoscopes":
            if self.headers.get("Authorization") != "Bearer tok-2scopes":
                port = self.server.server_address[1]
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {
                    "WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{port}/token?x=1",'
                                        f'service="hostile svc",scope="repository:twoscopes/x:pull '
                                        f'repository:127.0.0.1:5000/src:pull"'})
            body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}'
            return self.answer(200, body, ctype="application/vnd.oci.image.manifest.v1+json")
        if repo == "wrongdigest":
            body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}'
            return self.answer(200, body, ctype="application/vnd.oci.image.manifest.v1+json")
        if repo == "rel":
            prefix = "/".join(parts[:k])  # relative Locations, as a registry may send
            if kind == "blobs" and ref == "uploads/" and self.command == "POST":
                self.body()
                uid = os.urandom(4).hex()
                uploads[uid] = b""
                return self.answer(202, headers={"Location": f"{prefix}/blobs/uploads/{uid}?_state=s{uid}",
                                                 "Range": "0-0"})
            if kind == "blobs" and ref.startswith("uploads/") and self.command in ("PATCH", "PUT"):
                uid = ref.split("/")[1]
                q = urllib.parse.parse_qs(url.query)
                if uid not in uploads or q.get("_state") != ["s" + uid]:
                    return self.answer(404, b'{"errors":[{"code":"BLOB_UPLOAD_INVALID"}]}')
                if self.headers.get("Content-Type", "") not in ("", "application/octet-stream"):
                    return self.answer(400, b'{"errors":[{"code":"DIGEST_INVALID","message":"form body"}]}')
                uploads[uid] += self.body()
                if self.command == "PATCH":
                    nid = os.urandom(4).hex()
                    uploads[nid] = uploads.pop(uid)
                    return self.answer(202, headers={"Location": f"{prefix}/blobs/uploads/{nid}?_state=s{nid}",
                                                     "Range": f"0-{len(uploads[nid]) - 1}"})
                data = uploads.pop(uid)
                want = q.get("digest", [""])[0]
                if want != "sha256:" + hashlib.sha256(data).hexdigest():
                    return self.answer(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
                with open(LOG + ".uploaded", "ab") as f:
                    f.write(want.encode() + b"\n")
                return self.answer(201, headers={"Location": f"{prefix}/blobs/{want}",
                                                 "Docker-Content-Digest": want})
            if kind == "blobs" and self.command == "HEAD":
                return self.answer(404)
        return self.answer(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such thing"}]}')

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


main = Server(("127.0.0.1", 0), Handler)
other = Server(("127.0.0.1", 0), Handler)
other_port = other.server_address[1]
threading.Thread(target=other.serve_forever, daemon=True).start()
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(f"{main.server_address[1]} {other_port}")
os.rename(PORT_FILE + ".tmp", PORT_FILE)
main.serve_forever()
