/* libFuzzer harness: the bpfman.toml parser (src/lib/config.c) on arbitrary bytes.
 * A parse either succeeds with every interface named, or fails with a message and the
 * defaults back in place (config.h's promise); both are checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpfman_config c;
	char *err = NULL;
	int r;

	config_init(&c);
	r = config_parse(&c, (const char *)data, size, &err);
	if (r < 0) {
		if (!err || c.n_interfaces != 0 || !c.signing_allow_unsigned)
			abort(); /* an error needs its message and leaves the defaults */
		free(err);
	} else {
		if (err)
			abort();
		for (size_t i = 0; i < c.n_interfaces; i++)
			(void)config_xdp_mode(&c, c.interfaces[i].name);
	}
	config_free(&c);
	return 0;
}
