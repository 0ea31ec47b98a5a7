/* validate.c: the limits and defaults of load and attach requests, and UTF-8, without a
 * kernel. Each refusal's message names the field. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "test-util.h"
#include "validate.h"

static char err[512];

#define REFUSED(call, want_r, phrase)                                                   \
	do {                                                                          \
		err[0] = '\0';                                                        \
		CHECK_EQ_INT((call), (want_r));                                       \
		if (!strstr(err, (phrase))) {                                         \
			fprintf(stderr, "%s:%d: message '%s' lacks '%s'\n", __FILE__, \
				__LINE__, err, (phrase));                             \
			test_failures++;                                              \
		}                                                                     \
	} while (0)

static void test_utf8(void)
{
	static const char *good[] = { "", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
				      "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf" };
	static const char *bad[] = {
		"\xff",		    "\xc3",	       "\xc3\x28",	   "\xc0\xaf", /* overlong / */
		"\xe0\x80\x80",	    "\xed\xa0\x80", /* surrogate */ "\xf4\x90\x80\x80", /* > U+10FFFF */
		"\xf5\x80\x80\x80", "\x80",	       "ok\xe2\x82",	   "\xf0\x9f\x98",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(utf8_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!utf8_valid(bad[i]));
}

static struct bpfman_attach_opts xdp(void)
{
	return (struct bpfman_attach_opts){ .type = BPFMAN_PROG_XDP, .iface = "eth0" };
}

static void test_attach(void)
{
	struct bpfman_attach_opts o = xdp(), r;
	int32_t many[17], bad_action[] = { 2, 99 };
	struct kv empty_key[] = { { "", "v" } }, eq_key[] = { { "a=b", "v" } },
		  bad_value[] = { { "k", "\xff" } };
	struct kv_list l;

	/* defaults: xdp, tc and tcx get priority 1000, placed and recorded alike */
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	CHECK(r.has_priority);
	CHECK_EQ_INT(r.priority, BPFMAN_PRIORITY_DEFAULT);
	o.type = BPFMAN_PROG_TCX;
	o.direction = BPFMAN_DIR_INGRESS;
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.priority, 1000);
	o.has_priority = true;
	o.priority = 50;
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	CHECK_EQ_INT(r.priority, 50);
	/* the edges */
	o.priority = 1;
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	o.priority = 1000;
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	static const int32_t out_of_range[] = { 0, -1, 1001, INT32_MAX, INT32_MIN };
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		o.priority = out_of_range[i];
		REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "invalid priority");
		REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "expected 1 to 1000");
	}

	o = xdp();
	for (size_t i = 0; i < 17; i++)
		many[i] = 2;
	o.proceed_on = many;
	o.n_proceed_on = 16;
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	o.n_proceed_on = 17;
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "17 proceed-on values: at most 16");
	o.proceed_on = bad_action;
	o.n_proceed_on = 2;
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "invalid proceed-on value 99 for xdp");
	o = xdp();
	o.type = BPFMAN_PROG_TCX;
	o.proceed_on = many;
	o.n_proceed_on = 1;
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "proceed-on applies to xdp and tc");

	o = xdp();
	o.netns = "";
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "the netns path is empty");
	o.netns = "/var/run/netns/x";
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	o.iface = "et\xffh0";
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "the interface name is not valid UTF-8");

	o = (struct bpfman_attach_opts){ .type = BPFMAN_PROG_UPROBE, .target = "libc" };
	o.offset = INT64_MAX;
	CHECK_EQ_INT(validate_attach(&o, &r, err, sizeof(err)), 0);
	CHECK(!r.has_priority); /* no priority for probes */
	o.offset = UINT64_MAX;
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL,
		"invalid offset 18446744073709551615: at most 9223372036854775807");
	o.offset = 0;
	o.pid = -1;
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "invalid pid -1");
	o.pid = 0;
	o.container_pid = INT32_MIN;
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "invalid container pid");
	o.container_pid = 0;
	o.target = "/lib/\xed\xa0\x80";
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "the target is not valid UTF-8");

	o = xdp();
	o.metadata = &l;
	l = (struct kv_list){ empty_key, 1, 1 };
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "metadata key 1 is empty");
	l = (struct kv_list){ eq_key, 1, 1 };
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL, "metadata key 'a=b' contains '='");
	l = (struct kv_list){ bad_value, 1, 1 };
	REFUSED(validate_attach(&o, &r, err, sizeof(err)), -EINVAL,
		"metadata value of 'k' is not valid UTF-8");
}

static void test_load(void)
{
	struct bpfman_prog_request progs[] = {
		{ BPFMAN_PROG_TRACEPOINT, "a", NULL },
		{ BPFMAN_PROG_FENTRY, "b", "do_unlinkat" },
	};
	struct bpfman_global globals[] = { { "x", (uint8_t *)"\1", 1 }, { "y", (uint8_t *)"\1", 1 } };
	struct bpfman_load_opts o = { .path = "/x.o", .progs = progs, .n_progs = 2,
				      .globals = globals, .n_globals = 2 };

	CHECK_EQ_INT(validate_load(&o, err, sizeof(err)), 0);
	globals[1].name = "x";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "global 'x' is given twice");
	globals[1].name = "";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "global data name 2 is empty");
	globals[1].name = "\xc0\x80";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "global data name 2 is not valid UTF-8");
	globals[1].name = "y";

	progs[1].name = "a";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "function 'a' is named twice");
	progs[1].name = "b";
	progs[1].attach_fn = NULL;
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "needs its target function");
	progs[1].attach_fn = "do_\xff";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "the attach target of 'b' is not valid UTF-8");
	progs[1].attach_fn = "do_unlinkat";
	progs[0].type = (enum bpfman_prog_type)42;
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "invalid program type 42");
	progs[0].type = BPFMAN_PROG_TRACEPOINT;

	o.path = "/tmp/\xfe.o";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "the object file path is not valid UTF-8");
	o.path = "";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "no object file given");
	o.path = "/x.o";
	o.image_url = "quay.io/x";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "both an object file and an image");
	o.path = NULL;
	CHECK_EQ_INT(validate_load(&o, err, sizeof(err)), 0);
	o.image_url = "";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "the image URL is empty");
	o.image_url = "quay.io/\xff";
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "the image URL is not valid UTF-8");
	o.image_url = "quay.io/x";
	o.pull_policy = 3;
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "invalid pull policy 3");
	o.pull_policy = 1;
	o.image_url = NULL;
	o.path = "/x.o";
	o.n_progs = 0;
	REFUSED(validate_load(&o, err, sizeof(err)), -EINVAL, "no program to load");
}

int main(void)
{
	test_utf8();
	test_attach();
	test_load();
	return TEST_RESULT();
}
