/* map-access PIN KEY get|get-ro|set VALUE: one u64 of an array map through a pin, opened
 * read-write (get, set) or with BPF_F_RDONLY (get-ro), so a test can tell what a pod's user
 * may do with a pin (bpftool 7.1 always opens read-write). Prints the value; on failure the
 * error and exit 1. Raw bpf(2) calls and linked statically: the CSI kubelet test runs it
 * inside a busybox pod, on the pod's volume. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <sys/syscall.h>

static int obj_get(const char *path, __u32 flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(unsigned long)path;
	attr.file_flags = flags;
	return (int)syscall(__NR_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
}

static int map_call(int cmd, int fd, __u32 *key, unsigned long long *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (__u32)fd;
	attr.key = (__u64)(unsigned long)key;
	attr.value = (__u64)(unsigned long)value;
	attr.flags = BPF_ANY;
	return (int)syscall(__NR_bpf, cmd, &attr, sizeof(attr));
}

int main(int argc, char **argv)
{
	unsigned long long value = 0;
	__u32 key;
	int fd;

	if (argc < 4 || (!strcmp(argv[3], "set") && argc != 5)) {
		fprintf(stderr, "usage: map-access PIN KEY get|get-ro|set VALUE\n");
		return 2;
	}
	key = (__u32)strtoul(argv[2], NULL, 0);
	fd = obj_get(argv[1], !strcmp(argv[3], "get-ro") ? BPF_F_RDONLY : 0);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!strcmp(argv[3], "set")) {
		value = strtoull(argv[4], NULL, 0);
		if (map_call(BPF_MAP_UPDATE_ELEM, fd, &key, &value) < 0) {
			fprintf(stderr, "update: %s\n", strerror(errno));
			return 1;
		}
	} else if (map_call(BPF_MAP_LOOKUP_ELEM, fd, &key, &value) < 0) {
		fprintf(stderr, "lookup: %s\n", strerror(errno));
		return 1;
	}
	printf("%llu\n", value);
	return 0;
}
