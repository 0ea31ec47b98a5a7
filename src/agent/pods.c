/* Pods on this node -> their processes, without a CRI client: the kubelet puts every
 * container of a pod in a cgroup whose path names the pod UID ("pod<uid>" with cgroupfs,
 * "pod<uid_with_underscores>" with the systemd driver), which /proc/PID/cgroup shows for
 * any cgroup version. hostNetwork pods share the host's network namespace. */
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "parse-util.h"

static bool cgroup_has(int pid, const char *a, const char *b)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, a) || strstr(line, b);
	fclose(f);
	return found;
}

/* The first process (lowest pid) whose cgroup contains a or b (b may be NULL). */
static int cgroup_pid(const char *a, const char *b)
{
	struct dirent *e;
	DIR *d;
	int pid = 0;

	if (!(d = opendir("/proc")))
		return 0;
	while ((e = readdir(d))) {
		int32_t p;

		if (!isdigit((unsigned char)e->d_name[0]) || safe_atoi32(e->d_name, &p) < 0)
			continue;
		if ((!pid || p < pid) && cgroup_has(p, a, b ? b : a))
			pid = p;
	}
	closedir(d);
	return pid;
}

int pod_pid(const char *uid)
{
	char a[80], b[80];

	if (!uid || strlen(uid) > 64)
		return 0;
	snprintf(a, sizeof(a), "pod%s", uid);
	snprintf(b, sizeof(b), "pod%s", uid);
	for (char *p = b; *p; p++)
		if (*p == '-')
			*p = '_';
	return cgroup_pid(a, b);
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **t;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	if (!(t = realloc(*v, (*n + 2) * sizeof(*t))))
		return -1;
	*v = t;
	if (!(t[*n] = strdup(s)))
		return -1;
	t[++*n] = NULL;
	return 0;
}

int pods_netns(struct agent *a, const char *ns, json_t *selector, char ***ret)
{
	json_t *pods = kube_informer_items(a->inf[INF_PODS]), *p;
	char **v = calloc(1, sizeof(char *));
	size_t i, n = 0;

	if (!v) {
		json_decref(pods);
		return -1;
	}
	json_array_foreach (pods, i, p) {
		const char *pns = kube_obj_namespace(p), *phase = jstr(p, "status.phase");
		char path[64];
		int pid;

		if (ns && *ns && (!pns || strcmp(ns, pns)))
			continue;
		if (kube_selector_matches(selector, jget(p, "metadata.labels")) != 1)
			continue;
		if (kube_obj_deleting(p) || (phase && (!strcmp(phase, "Succeeded") ||
						       !strcmp(phase, "Failed"))))
			continue;
		if (json_is_true(jget(p, "spec.hostNetwork"))) {
			if (strv_add(&v, &n, "") < 0)
				break;
			continue;
		}
		if (!(pid = pod_pid(kube_obj_uid(p))))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (strv_add(&v, &n, path) < 0)
			break;
	}
	json_decref(pods);
	*ret = v;
	return 0;
}

static bool name_listed(json_t *names, const char *name)
{
	json_t *e;
	size_t i;

	if (!json_is_array(names) || json_array_size(names) == 0)
		return true;
	json_array_foreach (names, i, e)
		if (json_is_string(e) && name && !strcmp(json_string_value(e), name))
			return true;
	return false;
}

/* "containerd://ID" (or any runtime's "scheme://ID") -> ID, when it is a plain hex id */
static const char *container_id(const char *s)
{
	const char *id = s ? strstr(s, "://") : NULL;

	if (!id || strlen(id + 3) < 12 || strlen(id + 3) > 128)
		return NULL;
	for (const char *p = id + 3; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return NULL;
	return id + 3;
}

int pods_container_pids(struct agent *a, const char *ns, json_t *selector, json_t *names,
			int32_t **ret, size_t *ret_n)
{
	json_t *pods = kube_informer_items(a->inf[INF_PODS]), *p;
	int32_t *v = NULL;
	size_t i, n = 0;
	int r = 0;

	json_array_foreach (pods, i, p) {
		const char *pns = kube_obj_namespace(p);
		json_t *cs;
		size_t j;

		if (ns && *ns && (!pns || strcmp(ns, pns)))
			continue;
		if (kube_obj_deleting(p) || kube_selector_matches(selector, jget(p, "metadata.labels")) != 1)
			continue;
		json_array_foreach (jget(p, "status.containerStatuses"), j, cs) {
			const char *id = container_id(jstr(cs, "containerID"));
			int32_t *t;
			int pid;

			if (!id || !name_listed(names, jstr(cs, "name")) || !(pid = cgroup_pid(id, NULL)))
				continue;
			if (!(t = realloc(v, (n + 1) * sizeof(*v)))) {
				r = -ENOMEM;
				break;
			}
			v = t;
			v[n++] = pid;
		}
	}
	json_decref(pods);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
