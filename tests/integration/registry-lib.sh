# A real registry for the image tests: Debian's docker-registry (the CNCF distribution
# registry 2.8) on 127.0.0.1 with a free port, its storage and config under the test's
# scratch directory; killed by test_teardown (PIDS_STARTED). Source after lib.sh.
#
#   start_registry [--tls] [--htpasswd USER:PASS] [--name NAME]
# sets REG (host:port), REG_DIR (its directory), REG_PID, and with --tls REG_CA (the CA
# file that signed its certificate, made here with openssl for 127.0.0.1).
#   stop_registry     kills it (for "registry gone" tests); its storage stays

# free_port: a TCP port nothing listens on now (the kernel's choice for port 0)
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

make_test_ca() { # DIR: ca.pem, server.pem, server.key for 127.0.0.1
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=bpfman test CA" -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1 ||
		fail "openssl: cannot make a CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 ||
		fail "openssl: cannot make a key"
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" >/dev/null 2>&1 ||
		fail "openssl: cannot sign the server certificate"
}

start_registry() {
	local tls=0 htpasswd="" name=reg port i
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) tls=1 ;;
		--htpasswd) htpasswd=$2; shift ;;
		--name) name=$2; shift ;;
		*) fail "start_registry: unknown option $1" ;;
		esac
		shift
	done
	command -v docker-registry >/dev/null || fail "docker-registry is not installed (scripts/install-deps.sh test)"
	REG_DIR="$TEST_TMP/$name-$TEST_ID"
	mkdir -p "$REG_DIR/storage"
	port=$(free_port)
	REG="127.0.0.1:$port"
	{
		echo "version: 0.1"
		echo "log: {level: error}"
		echo "storage:"
		echo "  filesystem: {rootdirectory: $REG_DIR/storage}"
		echo "  delete: {enabled: true}"
		echo "http:"
		echo "  addr: $REG"
		if [ $tls = 1 ]; then
			make_test_ca "$REG_DIR"
			REG_CA="$REG_DIR/ca.pem"
			echo "  tls: {certificate: $REG_DIR/server.pem, key: $REG_DIR/server.key}"
		fi
		if [ -n "$htpasswd" ]; then
			htpasswd -Bbn "${htpasswd%%:*}" "${htpasswd#*:}" >"$REG_DIR/htpasswd" 2>/dev/null ||
				fail "htpasswd failed (apache2-utils)"
			echo "auth:"
			echo "  htpasswd: {realm: bpfman-test, path: $REG_DIR/htpasswd}"
		fi
	} >"$REG_DIR/config.yml"
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	REG_PID=$!
	PIDS_STARTED+=("$REG_PID")
	local scheme=http curl_ca=()
	[ $tls = 1 ] && scheme=https curl_ca=(--cacert "$REG_CA")
	for i in $(seq 1 100); do
		# 200 open, 401 with htpasswd: either way it answers
		case $(curl -s -o /dev/null -w '%{http_code}' "${curl_ca[@]}" "$scheme://$REG/v2/") in
		200 | 401) return 0 ;;
		esac
		kill -0 "$REG_PID" 2>/dev/null || fail "docker-registry exited: $(cat "$REG_DIR/log")"
		sleep 0.1
	done
	fail "docker-registry did not answer on $REG within 10 s: $(cat "$REG_DIR/log")"
}

stop_registry() {
	kill "$REG_PID" 2>/dev/null
	wait "$REG_PID" 2>/dev/null || true
	return 0
}
