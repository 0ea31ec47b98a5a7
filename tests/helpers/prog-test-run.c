/* prog-test-run [-t] ID [REPEAT]: runs kernel program ID with BPF_PROG_TEST_RUN on a
 * crafted 64-byte Ethernet/IPv4/UDP packet (192.0.2.2 -> 192.0.2.1), REPEAT times in the
 * kernel, and prints the return value as a signed number; with -t, the kernel's average
 * time per run in nanoseconds instead. The dispatcher tests run an attached dispatcher this
 * way, so they see its verdict without sending traffic; the dispatcher benchmark times it. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

static void make_packet(unsigned char pkt[64])
{
	static const unsigned char head[] = {
		/* ethernet: dst, src, IPv4 */
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
		/* IPv4: 50 bytes, UDP, 192.0.2.2 -> 192.0.2.1 (checksum filled below) */
		0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 2, 192, 0, 2, 1,
		/* UDP 9 -> 9, 30 bytes, no checksum */
		0, 9, 0, 9, 0, 30, 0, 0,
	};
	unsigned sum = 0;

	memset(pkt, 0, 64);
	memcpy(pkt, head, sizeof(head));
	for (int i = 14; i < 34; i += 2)
		sum += (unsigned)pkt[i] << 8 | pkt[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	pkt[24] = sum >> 8;
	pkt[25] = sum & 0xff;
}

int main(int argc, char **argv)
{
	unsigned char pkt[64], out[128];
	unsigned long id, repeat = 1;
	bool timed = argc > 1 && !strcmp(argv[1], "-t");
	char *end;
	int fd;

	if (timed) {
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: prog-test-run [-t] PROG_ID [REPEAT]\n");
		return 2;
	}
	id = strtoul(argv[1], &end, 10);
	if (*end || !id) {
		fprintf(stderr, "prog-test-run: bad program id '%s'\n", argv[1]);
		return 2;
	}
	if (argc == 3) {
		repeat = strtoul(argv[2], &end, 10);
		if (*end || !repeat || repeat > UINT32_MAX) {
			fprintf(stderr, "prog-test-run: bad repeat '%s'\n", argv[2]);
			return 2;
		}
	}
	fd = bpf_prog_get_fd_by_id((unsigned)id);
	if (fd < 0) {
		fprintf(stderr, "prog-test-run: program %lu: %s\n", id, strerror(errno));
		return 1;
	}
	make_packet(pkt);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .data_out = out, .data_size_out = sizeof(out), .repeat = (__u32)repeat);

		if (bpf_prog_test_run_opts(fd, &o) < 0) {
			fprintf(stderr, "prog-test-run: program %lu: %s\n", id, strerror(errno));
			return 1;
		}
		if (timed)
			printf("%u\n", o.duration);
		else
			printf("%d\n", (int)o.retval);
	}
	close(fd);
	return 0;
}
