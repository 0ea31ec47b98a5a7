#!/usr/bin/python3
"""Writes a bytecode image as an OCI image layout, independently of bpfman's own builder,
for the image tests: a tar+gzip layer holding the object, a config with the io.ebpf.*
labels, a manifest, and with --index an index with one entry per --platform. Push it with
  skopeo copy [--all] --dest-tls-verify=false oci:DIR:TAG docker://HOST:PORT/REPO:TAG

  make-oci-image.py --object FILE --out DIR [--tag TAG] [--programs JSON] [--maps JSON]
                    [--index --platform linux/amd64 ...] [--pad-mib N]
                    [--layer-media-type MT] [--layers N]

--programs: the io.ebpf.programs label ({"fn": "type"}). --pad-mib N appends N MiB of
random bytes after the ELF (ignored by ELF readers; incompressible, for the benchmark).
--layer-media-type and --layers make images a pull must refuse. Prints the digest of the
top manifest (or index)."""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import sys
import tarfile


def host_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


class Layout:
    def __init__(self, out):
        self.out = out
        os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

    def put(self, data, media_type, **extra):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.out, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        desc = {"mediaType": media_type, "digest": "sha256:" + d, "size": len(data)}
        desc.update(extra)
        return desc


def layer_of(path, name, pad_mib):
    with open(path, "rb") as f:
        data = f.read()
    if pad_mib:
        data += os.urandom(pad_mib << 20)
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    raw = tar_buf.getvalue()
    gz = io.BytesIO()
    # level 1: the padding does not compress anyway
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, compresslevel=1) as g:
        g.write(raw)
    return gz.getvalue(), "sha256:" + hashlib.sha256(raw).hexdigest()


def image(lay, args, arch, variant):
    blob, diff_id = layer_of(args.object, os.path.basename(args.object), args.pad_mib)
    labels = {"io.ebpf.programs": args.programs}
    if args.maps:
        labels["io.ebpf.maps"] = args.maps
    cfg = {"architecture": arch, "os": "linux", "config": {"Labels": labels},
           "rootfs": {"type": "layers", "diff_ids": [diff_id] * args.layers}}
    if variant:
        cfg["variant"] = variant
    cfg_desc = lay.put(json.dumps(cfg, sort_keys=True).encode(),
                       "application/vnd.oci.image.config.v1+json")
    layer_desc = lay.put(blob, args.layer_media_type)
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": cfg_desc, "layers": [layer_desc] * args.layers}
    return lay.put(json.dumps(man, sort_keys=True).encode(),
                   "application/vnd.oci.image.manifest.v1+json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--object", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--programs", default="{}")
    ap.add_argument("--maps", default="")
    ap.add_argument("--index", action="store_true")
    ap.add_argument("--platform", action="append", default=[])
    ap.add_argument("--pad-mib", type=int, default=0)
    ap.add_argument("--layer-media-type", default="application/vnd.oci.image.layer.v1.tar+gzip")
    ap.add_argument("--layers", type=int, default=1)
    args = ap.parse_args()
    json.loads(args.programs)  # a label must be JSON: refuse a typo in the test here

    lay = Layout(args.out)
    if args.index:
        plats = args.platform or ["linux/" + host_arch()]
        entries = []
        for p in plats:
            parts = p.split("/")
            arch = parts[1]
            variant = parts[2] if len(parts) > 2 else None
            d = image(lay, args, arch, variant)
            d["platform"] = {"os": parts[0], "architecture": arch}
            if variant:
                d["platform"]["variant"] = variant
            entries.append(d)
        idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": entries}
        top = lay.put(json.dumps(idx, sort_keys=True).encode(),
                      "application/vnd.oci.image.index.v1+json")
    else:
        top = image(lay, args, host_arch(), None)
    top["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    with open(os.path.join(args.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [top]}, f)
    print(top["digest"])


if __name__ == "__main__":
    sys.exit(main())
