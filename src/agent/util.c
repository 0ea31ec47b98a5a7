/* Small helpers on JSON objects, time and random names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

json_t *jget(json_t *o, const char *path)
{
	char key[128];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		o = json_object_get(o, key);
		path += n + (dot ? 1 : 0);
	}
	return o;
}

const char *jstr(json_t *o, const char *path)
{
	return json_string_value(jget(o, path));
}

const char *label_of(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(jget(obj, "metadata.labels"), key));
}

char *now_rfc3339(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

void random_hex(char *buf, size_t n)
{
	unsigned char raw[32];

	if (n > 2 * sizeof(raw))
		n = 2 * sizeof(raw);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		/* no entropy source: time and pid still make names unlikely to collide */
		unsigned long long x = (unsigned long long)time(NULL) * 2654435761u ^ (unsigned)getpid();

		memcpy(raw, &x, sizeof(x));
		memcpy(raw + 8, &x, sizeof(x));
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = "0123456789abcdef"[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	buf[n] = 0;
}

char *random_uuid(void)
{
	char h[33], *s;

	random_hex(h, 32);
	h[12] = '4'; /* version 4 */
	h[16] = "89ab"[h[16] % 4];
	if (asprintf(&s, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20) < 0)
		return NULL;
	return s;
}

char *obj_key(const char *kind, const char *ns, const char *name)
{
	char *s;

	if (asprintf(&s, "%s/%s/%s", kind, ns ? ns : "", name) < 0)
		return NULL;
	return s;
}
