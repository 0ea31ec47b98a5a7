/* byteCode.image.imagePullSecret: a namespaced application may name only a Secret of its
 * own namespace (upstream reads any Secret cluster-wide on its behalf, §6), and the Secret
 * must exist. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int pull_secret_check(struct agent *a, const struct app_decl *d, char **why)
{
	json_t *s = NULL;
	char *err = NULL;
	int r;

	*why = NULL;
	if (!d->pull_secret_name)
		return 0;
	if (d->kind == APP_NAMESPACED &&
	    strcmp(d->pull_secret_namespace ? d->pull_secret_namespace : "",
		   d->namespace ? d->namespace : "")) {
		if (asprintf(why, "imagePullSecret %s/%s: a BpfApplication may only use a Secret of "
				  "its own namespace (%s)",
			     d->pull_secret_namespace ? d->pull_secret_namespace : "",
			     d->pull_secret_name, d->namespace ? d->namespace : "") < 0)
			*why = NULL;
		return -EPERM;
	}
	r = kube_get(a->k, &KUBE_SECRET, d->pull_secret_namespace, d->pull_secret_name, &s, &err);
	json_decref(s);
	if (r < 0) {
		if (asprintf(why, "imagePullSecret %s/%s: %s", d->pull_secret_namespace,
			     d->pull_secret_name, err ? err : strerror(-r)) < 0)
			*why = NULL;
		free(err);
		return r;
	}
	return 0;
}
