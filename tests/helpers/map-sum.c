/* map-sum PIN [KEY]: prints the u64 value at KEY (default 0) of a pinned array map,
 * summed over CPUs for per-CPU maps. Tests use it to see a program's counter move. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), key = 0;
	unsigned long long sum = 0;
	int fd, ncpu = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: map-sum PIN [KEY]\n");
		return 2;
	}
	if (argc == 3)
		key = (__u32)strtoul(argv[2], NULL, 0);
	fd = bpf_obj_get(argv[1]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		fprintf(stderr, "map-sum: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH)
		ncpu = libbpf_num_possible_cpus();
	{
		unsigned long long vals[ncpu > 0 ? ncpu : 1];

		memset(vals, 0, sizeof(vals));
		if (bpf_map_lookup_elem(fd, &key, vals) < 0) {
			fprintf(stderr, "map-sum: lookup: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	}
	printf("%llu\n", sum);
	return 0;
}
