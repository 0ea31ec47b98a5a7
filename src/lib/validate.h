/* What a request may hold, and the defaults of what it may leave out: checked once, in the
 * library, before anything is done, so the CLI and the server refuse the same requests
 * with the same message. Each check writes a message naming the field into err and
 * returns a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bpfman.h"

#define BPFMAN_PRIORITY_MIN 1
#define BPFMAN_PRIORITY_MAX 1000
#define BPFMAN_PRIORITY_DEFAULT 1000
/* each value of contract table 4.1 at most once: tc has 11 */
#define BPFMAN_MAX_PROCEED_ON 16

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool utf8_valid(const char *s);

int validate_load(const struct bpfman_load_opts *o, char *err, size_t len);
/* Checks o and returns in *ret a copy with the defaults filled in (the priority of xdp, tc
 * and tcx), which is what the hook and the record both use. */
int validate_attach(const struct bpfman_attach_opts *o, struct bpfman_attach_opts *ret, char *err,
		    size_t len);
