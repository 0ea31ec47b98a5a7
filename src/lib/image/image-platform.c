/* The host's platform in OCI (Go) terms and the choice of an index entry for it, following
 * containerd's platform matcher: names are normalised (x86_64 -> amd64, aarch64 -> arm64,
 * armhf -> arm/v7...), then the host's exact platform is preferred, then the platforms it
 * can also run (lower amd64 levels and 386; lower arm variants; arm64 runs arm/v8..v5),
 * each in index order; entries without a platform come last. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "image-manifest.h"

struct platform {
	char os[32];
	char arch[32];
	char variant[32];
};

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static void platform_set(struct platform *p, const char *arch, const char *variant)
{
	lower_copy(p->arch, sizeof(p->arch), arch);
	lower_copy(p->variant, sizeof(p->variant), variant);
}

/* containerd's normalizeArch/normalizeOS. */
static void normalize(struct platform *p)
{
	char *a = p->arch, *v = p->variant;

	if (strcmp(p->os, "macos") == 0)
		strcpy(p->os, "darwin");
	if (strcmp(a, "i386") == 0) {
		strcpy(a, "386");
		v[0] = '\0';
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
		strcpy(a, "amd64");
		if (strcmp(v, "v1") == 0)
			v[0] = '\0';
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		strcpy(a, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8") || !strcmp(v, "v8.0"))
			v[0] = '\0';
		else if (!strcmp(v, "9") || !strcmp(v, "9.0") || !strcmp(v, "v9.0"))
			strcpy(v, "v9");
	} else if (strcmp(a, "armhf") == 0) {
		strcpy(a, "arm");
		strcpy(v, "v7");
	} else if (strcmp(a, "armel") == 0) {
		strcpy(a, "arm");
		strcpy(v, "v6");
	} else if (strcmp(a, "arm") == 0) {
		if (!v[0] || !strcmp(v, "7"))
			strcpy(v, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8")) {
			memmove(v + 1, v, strlen(v) + 1);
			v[0] = 'v';
		}
	}
}

/* "vN" -> N, or -1. */
static int variant_number(const char *v)
{
	char *end;
	long n;

	if (v[0] != 'v' || !isdigit((unsigned char)v[1]))
		return -1;
	n = strtol(v + 1, &end, 10);
	return *end || n > 100 ? -1 : (int)n;
}

#define MAX_CANDIDATES 16

/* containerd's platformVector: the host first, then what it can also run, best first. */
static size_t candidates(const struct platform *host, struct platform *out)
{
	struct platform arm;
	size_t n = 0;
	int ver;

	out[n++] = *host;
	if (strcmp(host->arch, "amd64") == 0) {
		ver = variant_number(host->variant);
		for (int i = ver - 1; ver > 1 && i >= 1; i--) {
			out[n] = *host;
			snprintf(out[n].variant, sizeof(out[n].variant), "v%d", i);
			normalize(&out[n++]);
		}
		out[n] = *host;
		platform_set(&out[n++], "386", NULL);
	} else if (strcmp(host->arch, "arm") == 0) {
		ver = variant_number(host->variant);
		for (int i = ver - 1; ver > 5 && i >= 5 && n < MAX_CANDIDATES; i--) {
			out[n] = *host;
			snprintf(out[n].variant, sizeof(out[n].variant), "v%d", i);
			n++;
		}
	} else if (strcmp(host->arch, "arm64") == 0) {
		arm = *host;
		platform_set(&arm, "arm", host->variant[0] ? host->variant : "v8");
		out[n++] = arm;
		ver = variant_number(arm.variant);
		for (int i = ver - 1; ver > 5 && i >= 5 && n < MAX_CANDIDATES; i--) {
			out[n] = arm;
			snprintf(out[n].variant, sizeof(out[n].variant), "v%d", i);
			n++;
		}
	}
	return n;
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0);
}

static bool entry_matches(const struct image_descriptor *d, const struct platform *want)
{
	struct platform p;

	if (!is_manifest_type(d->media_type) || !d->os || !d->architecture)
		return false;
	lower_copy(p.os, sizeof(p.os), d->os);
	platform_set(&p, d->architecture, d->variant);
	normalize(&p);
	return strcmp(p.os, want->os) == 0 && strcmp(p.arch, want->arch) == 0 &&
	       strcmp(p.variant, want->variant) == 0;
}

/* "linux/arm64/v8, linux/s390x" for the message when nothing fits. */
static void describe_offers(const struct image_index *x, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < x->n_manifests && used < n; i++) {
		const struct image_descriptor *d = &x->manifests[i];
		int w;

		if (d->os)
			w = snprintf(buf + used, n - used, "%s%s/%s%s%s", used ? ", " : "", d->os,
				     d->architecture, d->variant ? "/" : "",
				     d->variant ? d->variant : "");
		else
			w = snprintf(buf + used, n - used, "%s(no platform, %s)", used ? ", " : "",
				     d->media_type);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, n, "no entries");
}

int image_index_pick_platform(const struct image_index *x, const char *os, const char *arch,
			      const char *variant, const struct image_descriptor **ret,
			      struct img_err *e)
{
	struct platform host = { 0 }, cand[MAX_CANDIDATES];
	char offers[512];
	size_t n;

	if (!os || !arch)
		return -EINVAL;
	lower_copy(host.os, sizeof(host.os), os);
	platform_set(&host, arch, variant);
	normalize(&host);
	n = candidates(&host, cand);
	for (size_t c = 0; c < n; c++)
		for (size_t i = 0; i < x->n_manifests; i++)
			if (entry_matches(&x->manifests[i], &cand[c])) {
				*ret = &x->manifests[i];
				return 0;
			}
	for (size_t i = 0; i < x->n_manifests; i++)
		if (is_manifest_type(x->manifests[i].media_type) && !x->manifests[i].os &&
		    !x->manifests[i].architecture) {
			*ret = &x->manifests[i];
			return 0;
		}
	describe_offers(x, offers, sizeof(offers));
	return img_fail(e, -ENOENT, "the image index has no manifest for %s/%s%s%s (it has: %s)",
			host.os, host.arch, host.variant[0] ? "/" : "", host.variant, offers);
}

void image_host_platform(const char **os, const char **arch, const char **variant)
{
	const char *a = "unknown", *v = NULL;

#if defined(__x86_64__)
	a = "amd64";
#elif defined(__i386__)
	a = "386";
#elif defined(__aarch64__)
	a = "arm64";
	v = "v8";
#elif defined(__arm__)
	struct utsname u;

	a = "arm";
	/* containerd reads the CPU's architecture at run time: a v7 build on a v8 CPU is v8. */
	v = "v7";
	if (uname(&u) == 0) {
		if (strncmp(u.machine, "armv6", 5) == 0)
			v = "v6";
		else if (strncmp(u.machine, "armv5", 5) == 0)
			v = "v5";
		else if (strncmp(u.machine, "armv8", 5) == 0 || !strcmp(u.machine, "aarch64"))
			v = "v8";
	}
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	a = "ppc64le";
#elif defined(__powerpc64__)
	a = "ppc64";
#elif defined(__s390x__)
	a = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	a = "riscv64";
#elif defined(__loongarch64)
	a = "loong64";
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	a = "mips64le";
#elif defined(__mips64)
	a = "mips64";
#elif defined(__mips__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	a = "mipsle";
#elif defined(__mips__)
	a = "mips";
#endif
	if (os)
		*os = "linux";
	if (arch)
		*arch = a;
	if (variant)
		*variant = v;
}

int image_index_pick(const struct image_index *x, const struct image_descriptor **ret,
		     struct img_err *e)
{
	const char *os, *arch, *variant;

	image_host_platform(&os, &arch, &variant);
	return image_index_pick_platform(x, os, arch, variant, ret, e);
}
