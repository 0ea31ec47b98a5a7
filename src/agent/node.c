/* This node as the API describes it: whether an application selects it, and which host
 * interface is its primary one (the one holding the Node's InternalIP, bpfman-k8s.md 3.4;
 * the agent runs in the host network namespace). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int node_selected(json_t *node, json_t *selector)
{
	return kube_selector_matches(selector, jget(node, "metadata.labels"));
}

/* The interface holding addr (IPv4 or IPv6 text), or NULL. */
static char *iface_with_addr(const char *addr)
{
	unsigned char want[16], have[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct ifaddrs *all = NULL;
	char *name = NULL;

	if (inet_pton(fam, addr, want) != 1 || getifaddrs(&all) < 0)
		return NULL;
	for (struct ifaddrs *i = all; i && !name; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
			continue;
		if (fam == AF_INET)
			memcpy(have, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else
			memcpy(have, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		if (!memcmp(want, have, fam == AF_INET ? 4 : 16))
			name = strdup(i->ifa_name);
	}
	freeifaddrs(all);
	return name;
}

char *node_primary_iface(json_t *node, char **why)
{
	json_t *addrs = jget(node, "status.addresses"), *a;
	size_t i;

	json_array_foreach (addrs, i, a) {
		const char *type = jstr(a, "type"), *ip = jstr(a, "address");
		char *name;

		if (!type || !ip || strcmp(type, "InternalIP"))
			continue;
		if ((name = iface_with_addr(ip)))
			return name;
	}
	if (asprintf(why, "primaryNodeInterface: no host interface holds an InternalIP of "
			  "Node %s",
		     kube_obj_name(node) ? kube_obj_name(node) : "?") < 0)
		*why = NULL;
	return NULL;
}
