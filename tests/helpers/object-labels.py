#!/usr/bin/python3
"""Prints {"programs": {...}, "maps": {...}} for an eBPF object, read without libbpf: the
programs from the ELF symbol table (read here with struct), their kernel type from the section name
(the SEC() prefixes libbpf defines), the maps from the .maps DATASEC of the BTF (bpftool
btf dump: each map's `type` member is a pointer to an array whose length is the map type).
The image tests compare `bpfman image generate-build-args` with this independent reading.

usage: object-labels.py OBJECT"""
import json
import re
import struct
import subprocess
import sys

# SEC() prefix -> kernel program type name (contract table 4.2), longest prefixes first
SECTION_TYPES = [
    ("kretprobe", "probe"), ("kprobe", "probe"), ("uretprobe", "probe"), ("uprobe", "probe"),
    ("ksyscall", "probe"), ("kretsyscall", "probe"),
    ("tracepoint", "tracepoint"), ("tp_btf", "tracing"), ("tp", "tracepoint"),
    ("raw_tracepoint", "raw_tracepoint"), ("raw_tp", "raw_tracepoint"),
    ("fentry", "tracing"), ("fexit", "tracing"), ("fmod_ret", "tracing"), ("iter", "tracing"),
    ("lsm", "lsm"), ("xdp", "xdp"), ("tcx", "tc"), ("tc", "tc"), ("classifier", "tc"),
    ("socket", "socket_filter"), ("cgroup_skb", "cgroup_skb"), ("perf_event", "perf_event"),
]

# kernel map type number -> the reference's name
MAP_TYPES = ["unspec", "hash", "array", "prog_array", "perf_event_array", "per_cpu_hash",
             "per_cpu_array", "stack_trace", "cgroup_array", "lru_hash", "lru_per_cpu_hash",
             "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap",
             "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray",
             "per_cpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
             "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
             "user_ringbuf", "cgrp_storage", "arena"]


def section_type(sec):
    for prefix, name in SECTION_TYPES:
        if sec == prefix or sec.startswith(prefix + "/") or sec.startswith(prefix + "."):
            return name
    # a section that names no program kind ("count_getppid"): the object does not say, so
    # neither does the label (the load takes the type from the request)
    return "unspec"


def programs(path):
    # the ELF64 structures read with the standard library (no LLVM needed: the qemu guests
    # run this too); byte order from e_ident
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"object-labels.py: {path} is not a 64-bit ELF file")
    end = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
    shdrs = [struct.unpack_from(end + "IIQQQQIIQQ", data, shoff + i * shentsize)
             for i in range(shnum)]

    def cstr(off):
        return data[off:data.index(b"\0", off)].decode()

    shstr = shdrs[shstrndx][4]
    names = [cstr(shstr + h[0]) for h in shdrs]
    progs = {}
    for h in shdrs:
        if h[1] != 2:  # SHT_SYMTAB
            continue
        strtab = shdrs[h[6]][4]
        for off in range(h[4], h[4] + h[5], h[9]):
            st_name, st_info, _, st_shndx, _, _ = struct.unpack_from(end + "IBBHQQ", data, off)
            # FUNC symbols, static ones too: bpfman loads them (the reference's loaders do)
            if st_info & 0xF != 2 or st_info >> 4 not in (0, 1) or not 0 < st_shndx < shnum:
                continue
            sh = shdrs[st_shndx]
            if sh[2] & 0x4 and names[st_shndx] != ".text":  # SHF_EXECINSTR
                progs[cstr(strtab + st_name)] = section_type(names[st_shndx])
    return progs


def maps(path):
    out = subprocess.run(["bpftool", "btf", "dump", "file", path, "format", "raw"], check=True,
                         capture_output=True, text=True).stdout
    types, members, cur = {}, {}, None
    for line in out.splitlines():
        m = re.match(r"^\[(\d+)\] (\S+) '([^']*)'(.*)$", line)
        if m:
            cur = int(m.group(1))
            types[cur] = (m.group(2), m.group(3), m.group(4))
            members[cur] = []
            continue
        members[cur].append(line.strip())

    def attr(t, key):
        return int(re.search(key + r"=(\d+)", types[t][2]).group(1))

    result = {}
    for t, (kind, name, _) in types.items():
        if kind != "DATASEC" or name != ".maps":
            continue
        for mem in members[t]:
            var = int(re.match(r"type_id=(\d+)", mem).group(1))
            vname = types[var][1]
            struct = attr(var, "type_id")
            while types[struct][0] in ("TYPEDEF", "CONST", "VOLATILE"):
                struct = attr(struct, "type_id")
            for f in members[struct]:
                fm = re.match(r"'type' type_id=(\d+)", f)
                if fm:
                    ptr = int(fm.group(1))
                    arr = attr(ptr, "type_id")
                    result[vname] = MAP_TYPES[attr(arr, "nr_elems")]
    return result


if __name__ == "__main__":
    print(json.dumps({"programs": programs(sys.argv[1]), "maps": maps(sys.argv[1])},
                     sort_keys=True))
