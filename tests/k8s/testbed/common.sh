# Shared by cluster-up.sh and cluster-down.sh (sourced): where a test cluster's parts live and
# how its processes are started and stopped.
#
# Ports: every cluster takes 10 ports from K8S_PORT_BASE on 127.0.0.1, so that clusters with
# bases 10 apart run side by side:
#   +0 etcd client  +1 etcd peer  +2 etcd metrics  +3 kube-apiserver  +4 kube-controller-manager
#   +5 kube-scheduler  +6 kubelet  +7 kubelet healthz
K8S_BIN=${K8S_BIN:-/opt/k8s/bin}
K8S_PORT_BASE=${K8S_PORT_BASE:-26000}
case $K8S_PORT_BASE in
'' | *[!0-9]*) echo "K8S_PORT_BASE must be a port number, not '$K8S_PORT_BASE'" >&2; exit 2 ;;
esac
if [ "$K8S_PORT_BASE" -lt 1024 ] || [ "$K8S_PORT_BASE" -gt 65500 ]; then
	echo "K8S_PORT_BASE must be within 1024..65500, not $K8S_PORT_BASE" >&2
	exit 2
fi
PORT_ETCD=$K8S_PORT_BASE
PORT_ETCD_PEER=$((K8S_PORT_BASE + 1))
PORT_ETCD_METRICS=$((K8S_PORT_BASE + 2))
PORT_API=$((K8S_PORT_BASE + 3))
PORT_KCM=$((K8S_PORT_BASE + 4))
PORT_SCHED=$((K8S_PORT_BASE + 5))
PORT_KUBELET=$((K8S_PORT_BASE + 6))
PORT_KUBELET_HEALTHZ=$((K8S_PORT_BASE + 7))

# Only one node (containerd + kubelet) per machine: the kubelet owns the host's kubepods
# cgroups, /var/log/containers and the node name; this file names the cluster dir that has it.
NODE_LOCK=/run/k8stest-node.lock
# containerd's state (its socket, the shims' sockets, pod shm mounts); short, for socket paths
CTRD_STATE=/run/k8stest-containerd
CTRD_SOCK=$CTRD_STATE/containerd.sock
ctr_k8s() { ctr -a "$CTRD_SOCK" -n k8s.io "$@"; }

ms_since() { echo $(((${EPOCHREALTIME/./} - $1) / 1000)); }
now_us() { echo "${EPOCHREALTIME/./}"; }

# proc_start PID: the process's start time (field 22 of /proc/PID/stat), which an exec
# keeps and a new process with a reused pid does not have
proc_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	echo "${20}"
}

# pid_alive NAME: the process cluster-up started as NAME (DIR/pids/NAME.pid) still runs,
# and is still that process (a pid can be reused once it died). Compared by start time, not
# by its program: right after the start it may still be the shell or setsid before their
# exec, which a loaded machine showed ("kube-apiserver died" with nothing in its log).
pid_alive() {
	local f="$DIR/pids/$1.pid" pid prog start s
	[ -f "$f" ] || return 1
	read -r pid prog start <"$f" || return 1
	[ -n "$pid" ] || return 1
	s=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	case $1 in Z|X|x) return 1 ;; esac # dead, not yet reaped
	[ -n "$start" ] && [ "${20}" = "$start" ]
}

# start NAME PROGRAM ARGS...: runs PROGRAM in its own session (a Ctrl-C meant for the test
# run must not kill the cluster before the teardown stops it in order), logs to DIR/logs
start_proc() {
	local name=$1 prog
	shift
	prog=$(readlink -f "$(command -v "$1")")
	# the command line, for restart_proc
	printf '%s\0' "$@" >"$DIR/pids/$name.cmd"
	setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
	echo "$! $prog $(proc_start $!)" >"$DIR/pids/$name.pid"
}

# restart_proc NAME: starts NAME again as start_proc started it (after stop_proc NAME)
restart_proc() {
	local args
	mapfile -d '' args <"$DIR/pids/$1.cmd"
	start_proc "$1" "${args[@]}"
}

# stop NAME [GRACE-SECONDS]: SIGTERM, then SIGKILL after the grace period
stop_proc() {
	local name=$1 grace=${2:-10} pid i
	if pid_alive "$name"; then
		read -r pid _ <"$DIR/pids/$name.pid"
		kill "$pid" 2>/dev/null
		for i in $(seq $((grace * 10))); do
			pid_alive "$name" || break
			sleep 0.1
		done
		if pid_alive "$name"; then
			kill -9 "$pid" 2>/dev/null
			sleep 0.2
		fi
		echo "stopped $name ($pid)"
	fi
	rm -f "$DIR/pids/$name.pid"
}

# wait_up NAME SECONDS CHECK...: until CHECK succeeds; fails when NAME died or time ran out
wait_up() {
	local name=$1 secs=$2 i
	shift 2
	for i in $(seq $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		if ! pid_alive "$name"; then
			echo "$name died; the end of $DIR/logs/$name.log:" >&2
			tail -n 30 "$DIR/logs/$name.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$name not up after $secs s; the end of $DIR/logs/$name.log:" >&2
	tail -n 30 "$DIR/logs/$name.log" >&2
	return 1
}

port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

api_get() { # PATH: GET on the API server as admin
	curl -sf --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
		"https://127.0.0.1:$PORT_API$1"
}
