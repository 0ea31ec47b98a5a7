#!/bin/bash
# A throwaway PKI for one loopback-only test cluster: gen-certs.sh DIR [NODE-NAME]
# CA, the API server's serving certificate (127.0.0.1, localhost, kubernetes.default...),
# client certificates (admin in system:masters; the node's, when NODE-NAME is given) and the
# service-account signing key. EC P-256 keys: as good for a test as RSA, and much faster.
set -euo pipefail
d=${1:?usage: gen-certs.sh DIR [NODE-NAME]}
node=${2:-}
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign NAME SUBJECT EXTENSIONS
sign() {
	key "$1.key"
	openssl req -new -key "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
	printf '%s\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" \
		-days 30 -extfile "$1.ext" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

if [ ! -f ca.crt ]; then
	key ca.key
	openssl req -x509 -new -key ca.key -out ca.crt -days 30 -subj "/CN=k8s-testbed-ca" 2>/dev/null
	client="extendedKeyUsage=clientAuth
keyUsage=digitalSignature"
	sign apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.0.0.1
extendedKeyUsage=serverAuth
keyUsage=digitalSignature"
	sign admin "/O=system:masters/CN=admin" "$client"
	key sa.key
	openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
fi
# the kubelet's client certificate: the Node authorizer knows it by this name
if [ -n "$node" ] && [ ! -f node.crt ]; then
	sign node "/O=system:nodes/CN=system:node:$node" "extendedKeyUsage=clientAuth
keyUsage=digitalSignature"
fi
