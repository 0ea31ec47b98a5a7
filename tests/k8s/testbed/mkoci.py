#!/usr/bin/python3
"""Packs a root file system directory as a one-layer OCI image archive (an OCI layout in a
tar) that `ctr images import` accepts, so that the test cluster needs no registry and no
download.

usage: mkoci.py ROOTFS-DIR IMAGE-NAME OUT.tar ENTRYPOINT [ARG...]
IMAGE-NAME is the full name the image gets in containerd (localhost/pause:local)."""
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(out, data, media_type):
    """Adds DATA as a blob of the layout; returns its descriptor."""
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest)
    info.size = len(data)
    info.mode = 0o644
    out.addfile(info, io.BytesIO(data))
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}


def layer_tar(rootfs):
    """The root file system as an uncompressed layer, owned by root, reproducible."""
    buf = io.BytesIO()

    def owned_by_root(info):
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = 0
        return info

    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name, filter=owned_by_root)
    return buf.getvalue()


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    rootfs, name, out_path, entrypoint = argv[1], argv[2], argv[3], argv[4:]
    layer = layer_tar(rootfs)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
    }
    with tarfile.open(out_path + ".part", mode="w") as out:
        layer_desc = blob(out, layer, "application/vnd.oci.image.layer.v1.tar")
        config_desc = blob(out, json.dumps(config, sort_keys=True).encode(),
                           "application/vnd.oci.image.config.v1+json")
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": config_desc, "layers": [layer_desc]}
        manifest_desc = blob(out, json.dumps(manifest, sort_keys=True).encode(),
                             "application/vnd.oci.image.manifest.v1+json")
        # containerd names the image after io.containerd.image.name; the tag alone goes
        # into the OCI annotation, as the image spec wants it
        manifest_desc["annotations"] = {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [manifest_desc]}
        for fname, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                            ("index.json", json.dumps(index, sort_keys=True).encode())):
            info = tarfile.TarInfo(fname)
            info.size = len(data)
            info.mode = 0o644
            out.addfile(info, io.BytesIO(data))
    os.rename(out_path + ".part", out_path)
    print(manifest_desc["digest"])


if __name__ == "__main__":
    main(sys.argv)
