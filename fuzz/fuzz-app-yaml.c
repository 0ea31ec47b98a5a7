/* libFuzzer harness: the declared-application parser (src/lib/apply/app-yaml*.c) on
 * arbitrary bytes. A text either gives applications and no message, or a message and
 * nothing (app-decl.h's promise); both are checked, and every returned application is
 * walked so that a half-built one would show under ASan. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app-decl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_decl *v = NULL;
	size_t n = 0, sum = 0;
	char *err = NULL;
	int r;

	r = app_decl_parse_text("fuzz.yaml", (const char *)data, size, &v, &n, &err);
	if (r < 0) {
		if (n != 0 || v || (!err && r != -ENOMEM))
			abort(); /* an error needs its message and returns nothing */
		free(err);
		return 0;
	}
	if (err)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct app_decl *d = &v[i];

		if (!d->name || !d->file || !d->n_programs || !d->path == !d->image_url)
			abort();
		sum += strlen(d->name);
		for (size_t j = 0; j < d->n_programs; j++) {
			const struct app_program *p = &d->programs[j];

			sum += strlen(p->name);
			for (size_t k = 0; k < p->n_links; k++) {
				const struct app_link *l = &p->links[k];

				if (l->priority < 0 || l->priority > 1000)
					abort();
				for (char **s = l->ifaces.interfaces; s && *s; s++)
					sum += strlen(*s);
				sum += l->netns ? strlen(l->netns) : 0;
			}
		}
		for (size_t j = 0; j < d->n_globals; j++)
			for (size_t k = 0; k < d->globals[j].len; k++)
				sum += d->globals[j].data[k];
	}
	app_decls_free(v, n);
	return sum == (size_t)-1; /* keeps the walk from being optimised away */
}
