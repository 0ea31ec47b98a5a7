/* Unit test of libbpfman-client's connection handling without a server: connecting to a
 * socket nobody listens on fails with -ECONNREFUSED once the timeout has passed and
 * returns no client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bpfman-client.h"
#include "test-util.h"

/* Nothing listens there: a clean -ECONNREFUSED after the timeout, no client returned. */
static void test_connect_refused(void)
{
	char dir[] = "/tmp/bpfman-client-test.XXXXXX", path[64];
	struct bpfman_client *c = (struct bpfman_client *)1;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	CHECK_EQ_INT(bpfman_client_connect(path, 300, &c), -ECONNREFUSED);
	CHECK(c == NULL);
	rmdir(dir);
}

static void test_error_without_client(void)
{
	CHECK_STREQ(bpfman_client_error(NULL), "");
	bpfman_client_close(NULL);
}

int main(void)
{
	test_connect_refused();
	test_error_without_client();
	return TEST_RESULT();
}
