"""What the kernel holds, read without the manager: bpf(2) through ctypes (no process per
object, so a check stays cheap enough to run after every kill), tc and ip for the hooks of
the test's interfaces, /proc for the fds a process holds."""

import ctypes
import errno
import json
import os
import platform
import struct
import subprocess

_NR_BPF = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
_libc = ctypes.CDLL(None, use_errno=True)
_ATTR_SIZE = 128

BPF_PROG_GET_FD_BY_ID = 13
BPF_OBJ_GET = 7
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_LINK_GET_FD_BY_ID = 30
BPF_LINK_GET_NEXT_ID = 31


def _bpf_attr(cmd, attr):
    """bpf(cmd, attr): (the result or -errno, the attr as the kernel left it)."""
    if _NR_BPF is None:
        raise OSError(errno.ENOSYS, "bpf(2) number unknown for " + platform.machine())
    buf = ctypes.create_string_buffer(attr, _ATTR_SIZE)
    r = _libc.syscall(_NR_BPF, cmd, buf, _ATTR_SIZE)
    return (r if r >= 0 else -ctypes.get_errno()), buf.raw


def _bpf(cmd, attr):
    return _bpf_attr(cmd, attr)[0]


def _info(fd):
    """The first three u32 of an object's info: (type, id, prog_id for a link)."""
    info = ctypes.create_string_buffer(256)
    r = _bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("IIQ", fd, 256, ctypes.addressof(info)))
    if r < 0:
        raise OSError(-r, "BPF_OBJ_GET_INFO_BY_FD: " + os.strerror(-r))
    return struct.unpack_from("III", info.raw)


def pinned_ids(path):
    """(id, prog_id) of the object pinned at path (prog_id is meaningful for links), or
    None when nothing is pinned there (ENOENT); other errors raise: only proof of absence
    counts as absent."""
    p = ctypes.create_string_buffer(path.encode())
    fd = _bpf(BPF_OBJ_GET, struct.pack("QII", ctypes.addressof(p), 0, 0))
    if fd == -errno.ENOENT:
        return None
    if fd < 0:
        raise OSError(-fd, "BPF_OBJ_GET %s: %s" % (path, os.strerror(-fd)))
    try:
        _, oid, prog_id = _info(fd)
        return oid, prog_id
    finally:
        os.close(fd)


def prog_exists(prog_id):
    fd = _bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("III", prog_id, 0, 0))
    if fd == -errno.ENOENT:
        return False
    if fd < 0:
        raise OSError(-fd, "BPF_PROG_GET_FD_BY_ID %d: %s" % (prog_id, os.strerror(-fd)))
    os.close(fd)
    return True


def links():
    """{kernel link id: prog id} of every bpf_link in the kernel."""
    out, cur = {}, 0
    while True:
        r, attr = _bpf_attr(BPF_LINK_GET_NEXT_ID, struct.pack("III", cur, 0, 0))
        if r == -errno.ENOENT:
            return out
        if r < 0:
            raise OSError(-r, "BPF_LINK_GET_NEXT_ID: " + os.strerror(-r))
        cur = struct.unpack_from("II", attr)[1]
        fd = _bpf(BPF_LINK_GET_FD_BY_ID, struct.pack("III", cur, 0, 0))
        if fd in (-errno.ENOENT, -errno.EAGAIN):
            continue  # freed meanwhile, or another process's link not yet created in full
        if fd < 0:
            raise OSError(-fd, "BPF_LINK_GET_FD_BY_ID %d: %s" % (cur, os.strerror(-fd)))
        try:
            _, lid, prog_id = _info(fd)
            out[lid] = prog_id
        finally:
            os.close(fd)


def _json(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise OSError(errno.EIO, "%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return json.loads(r.stdout or "[]")


def tc_filters(netns, iface, direction):
    """[(pref, handle, prog id)] of the bpf filters on a clsact hook ([] without clsact)."""
    r = subprocess.run(["tc", "-n", netns, "-j", "filter", "show", "dev", iface, direction],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        if "Cannot find specified qdisc" in r.stderr or "Invalid handle" in r.stderr:
            return []
        raise OSError(errno.EIO, "tc filter show %s %s: %s" % (iface, direction, r.stderr.strip()))
    out = []
    for f in json.loads(r.stdout or "[]"):
        opt = f.get("options") or {}
        if f.get("kind") == "bpf" and "prog" in opt:
            out.append((f.get("pref"), int(str(opt.get("handle", "0")), 0), opt["prog"]["id"]))
    return out


def has_clsact(netns, iface):
    return any(q.get("kind") == "clsact"
               for q in _json("tc", "-n", netns, "-j", "qdisc", "show", "dev", iface))


def xdp_prog(netns, iface):
    """Id of the XDP program on the interface, or 0."""
    for ln in _json("ip", "-n", netns, "-d", "-j", "link", "show", "dev", iface):
        xdp = ln.get("xdp") or {}
        if "prog" in xdp:
            return xdp["prog"].get("id", 0)
        for a in xdp.get("attached", []):
            if "prog" in a:
                return a["prog"].get("id", 0)
    return 0


def held_fds(pid):
    """{'prog': set of prog ids, 'link': set of (link id, prog id)} that pid holds as fds."""
    out = {"prog": set(), "link": set()}
    fd_dir = "/proc/%d/fd" % pid
    try:
        names = os.listdir(fd_dir)
    except FileNotFoundError:
        return out
    for n in names:
        try:
            target = os.readlink(os.path.join(fd_dir, n))
            if target not in ("anon_inode:bpf-prog", "anon_inode:bpf_link"):
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, n)) as f:
                kv = dict(line.split(":", 1) for line in f if ":" in line)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        get = lambda k: int(kv.get(k, "0").strip() or 0)  # noqa: E731
        if target == "anon_inode:bpf-prog":
            out["prog"].add(get("prog_id"))
        else:
            out["link"].add((get("link_id"), get("prog_id")))
    return out
