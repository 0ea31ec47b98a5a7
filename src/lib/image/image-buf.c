/* The in-memory buffer every image module hands around (manifests, configs, small blobs). */
#include <stdlib.h>

#include "registry.h"

void img_buf_clear(struct img_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
