/* rpc-list SOCKET: one List call through a bpfman-rpc server; prints "programs N seconds S"
 * and exits 0, or prints the error and exits 1. Tests time the server's answers with it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bpfman-client.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct bpfman_client *c = NULL;
	struct bpfman_program_view *v = NULL;
	size_t n = 0;
	double t0;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: rpc-list SOCKET\n");
		return 2;
	}
	r = bpfman_client_connect(argv[1], 5000, &c);
	if (r < 0) {
		fprintf(stderr, "cannot connect to %s: %s\n", argv[1], strerror(-r));
		bpfman_client_close(c);
		return 1;
	}
	t0 = now();
	r = bpfman_client_list(c, NULL, &v, &n);
	if (r < 0) {
		fprintf(stderr, "List: %s\n", bpfman_client_error(c));
		bpfman_client_close(c);
		return 1;
	}
	printf("programs %zu seconds %.2f\n", n, now() - t0);
	bpfman_program_views_free(v, n);
	bpfman_client_close(c);
	return 0;
}
