#pragma once
/* Mounts a bpffs at path unless one is there already; logs what it did. */
int bpffs_mount(const char *path);
