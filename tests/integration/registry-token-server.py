#!/usr/bin/python3
"""A bearer token server for docker-registry's `auth.token` (distribution token spec), for
tests/integration/test-registry.sh. Loopback only.

    registry-token-server.py PORT_FILE KEY CERT USER PASSWORD SERVICE ISSUER LOG

Issues ES256 JWTs signed with KEY (openssl, a P-256 key) whose header carries CERT as `x5c`;
the registry's `rootcertbundle` is CERT. GET /token?service=..&scope=..[&scope=..]:
- with `Authorization: Basic` for USER:PASSWORD: every action asked for;
- anonymous: only `pull`;
- wrong credentials: 401.
Each request is logged to LOG as one line "auth=<none|ok|bad> scope=<...>" (the scopes
joined by '|'), so the test can count token requests (the client caches tokens per scope).
Anonymous answers carry the token as `token`, authenticated ones as `access_token` (a
client must read either); expires_in 300. It listens on a
free port of 127.0.0.1 and writes the port to PORT_FILE once it listens."""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT_FILE, KEY, CERT, USER, PASSWORD, SERVICE, ISSUER, LOG = sys.argv[1:9]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der_b64():
    with open(CERT) as f:
        pem = f.read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())


def der_to_raw(der):
    """ECDSA-Sig-Value (SEQUENCE of two INTEGERs) -> r||s, 32 bytes each (JWS ES256)."""
    def read_len(b, i):
        n = b[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7F
        return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k

    assert der[0] == 0x30
    _, i = read_len(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n, i = read_len(der, i + 1)
        out += int.from_bytes(der[i:i + n], "big").to_bytes(32, "big")
        i += n
    return out


X5C = cert_der_b64()


def make_token(access):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "ES256", "x5c": [X5C]}
    claims = {"iss": ISSUER, "sub": USER, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
              "iat": now, "jti": os.urandom(8).hex(), "access": access}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input,
                         capture_output=True, check=True).stdout
    return signing_input.decode() + "." + b64url(der_to_raw(der))


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        q = urllib.parse.parse_qs(url.query)
        scopes = q.get("scope", [])
        auth = self.headers.get("Authorization")
        if auth is None:
            state = "none"
        elif auth == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode():
            state = "ok"
        else:
            state = "bad"
        with open(LOG, "a") as f:
            f.write(f"auth={state} scope={'|'.join(scopes)} service={q.get('service', [''])[0]}\n")
        if state == "bad":
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"details":"bad credentials"}')
            return
        access = []
        for s in scopes:
            # type:name:actions, where the name may hold a host:port: split at both ends
            typ, rest = s.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            acts = actions.split(",")
            if state == "none":
                acts = [a for a in acts if a == "pull"]
            access.append({"type": typ, "name": name, "actions": acts})
        tok = make_token(access)
        # both spellings the spec allows, one each: anonymous answers carry `token` only,
        # authenticated ones `access_token` only
        key = "token" if state == "none" else "access_token"
        body = json.dumps({key: tok, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
