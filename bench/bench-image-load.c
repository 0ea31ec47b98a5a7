/* Loads over gRPC from a cached image vs from the object file, interleaved (the order
 * alternating each round so drift hits both alike): what the image path adds to a load
 * in a long-running server, where process start-up and library initialisation are paid
 * once. Each load is followed by an unload (not timed).
 *
 *   bench-image-load SOCKET OBJECT IMAGE_URL FUNCTION ROUNDS
 * prints "@ grpc_file.p50 MS", "@ grpc_image.p50 MS", ... (bench-util's report lines). */
#include <stdio.h>
#include <stdlib.h>

#include "bench-util.h"
#include "bpfman-client.h"

static double load_once(struct bpfman_client *c, const struct bpfman_load_opts *o)
{
	struct bpfman_program_view *v = NULL;
	size_t n = 0;
	double t0 = bench_now_ms(), t;
	int r = bpfman_client_load(c, o, &v, &n);

	t = bench_now_ms() - t0;
	if (r < 0 || n != 1)
		bench_die("load from %s failed: %s", o->path ? o->path : o->image_url,
			  bpfman_client_error(c));
	if (bpfman_client_unload(c, v[0].kernel.id) < 0)
		bench_die("unload failed: %s", bpfman_client_error(c));
	bpfman_program_views_free(v, n);
	return t;
}

int main(int argc, char **argv)
{
	struct bpfman_client *c = NULL;
	struct samples file = { 0 }, image = { 0 };
	struct bpfman_prog_request prog = { .type = BPFMAN_PROG_TRACEPOINT };
	struct bpfman_load_opts of = { .progs = &prog, .n_progs = 1 }, oi;
	long rounds;

	if (argc != 6)
		bench_die("usage: bench-image-load SOCKET OBJECT IMAGE_URL FUNCTION ROUNDS");
	rounds = bench_parse_count("ROUNDS", argv[5], 1, 100000);
	prog.name = argv[4];
	of.path = argv[2];
	oi = of;
	oi.path = NULL;
	oi.image_url = argv[3];
	oi.pull_policy = BPFMAN_PULL_IF_NOT_PRESENT;
	if (bpfman_client_connect(argv[1], 5000, &c) < 0)
		bench_die("cannot connect to %s", argv[1]);
	load_once(c, &of); /* warm-up: the server's caches, the image pulled */
	load_once(c, &oi);
	for (long i = 0; i < rounds; i++) {
		if (i % 2) {
			samples_add(&file, load_once(c, &of));
			samples_add(&image, load_once(c, &oi));
		} else {
			samples_add(&image, load_once(c, &oi));
			samples_add(&file, load_once(c, &of));
		}
	}
	samples_report(&file, "grpc_file");
	samples_report(&image, "grpc_image");
	samples_free(&file);
	samples_free(&image);
	bpfman_client_close(c);
	return 0;
}
