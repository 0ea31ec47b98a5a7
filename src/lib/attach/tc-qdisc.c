/* rtnetlink dumps libbpf does not offer: which qdisc sits at an interface's ingress/clsact
 * slot (libbpf creates and destroys clsact but cannot tell a legacy `ingress` qdisc from it,
 * and a TC program under a legacy ingress qdisc would silently lose its egress half), and
 * whether a given cls_bpf filter exists. A dump answers "not there" with an empty list,
 * where a filter get answers EINVAL once the last filter of a clsact side is gone. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "tc-qdisc.h"

/* Calls fn for each message of type `type` answering a dump request; fn returns <0 to stop
 * with that error. */
static int rtnl_dump(uint16_t request, int ifindex, uint32_t parent,
		     int (*fn)(const struct nlmsghdr *nh, void *arg), void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)), .nlmsg_type = request,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent },
	};
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	char buf[16384];

	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int left;

		if (n < 0)
			return -errno;
		left = (int)n;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error < 0 ? e->error : -EIO;
			}
			if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct tcmsg))) {
				int r = fn(nh, arg);

				if (r < 0)
					return r;
			}
		}
	}
}

static const struct rtattr *tc_attr(const struct nlmsghdr *nh, unsigned short type)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	int alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc)));

	for (const struct rtattr *a = (const struct rtattr *)((const char *)tc +
							       NLMSG_ALIGN(sizeof(*tc)));
	     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == type)
			return a;
	return NULL;
}

struct kind_ctx {
	int ifindex;
	char *kind;
	size_t len;
};

static int kind_fn(const struct nlmsghdr *nh, void *arg)
{
	struct kind_ctx *c = arg;
	const struct tcmsg *tc = NLMSG_DATA(nh);
	const struct rtattr *a;

	if (nh->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != c->ifindex ||
	    tc->tcm_parent != TC_H_INGRESS)
		return 0;
	a = tc_attr(nh, TCA_KIND);
	if (a) {
		size_t klen = RTA_PAYLOAD(a) < c->len ? RTA_PAYLOAD(a) : c->len - 1;

		memcpy(c->kind, RTA_DATA(a), klen);
		c->kind[klen] = '\0';
	}
	return 0;
}

int tc_ingress_qdisc_kind(int ifindex, char *kind, size_t len)
{
	struct kind_ctx c = { .ifindex = ifindex, .kind = kind, .len = len };
	int r;

	kind[0] = '\0';
	r = rtnl_dump(RTM_GETQDISC, ifindex, 0, kind_fn, &c);
	if (r < 0)
		return r;
	return kind[0] ? 1 : 0;
}

struct filter_ctx {
	uint32_t prio, handle, prog_id;
	bool found;
};

static int filter_fn(const struct nlmsghdr *nh, void *arg)
{
	struct filter_ctx *c = arg;
	const struct tcmsg *tc = NLMSG_DATA(nh);
	const struct rtattr *opts, *a;
	int alen;

	if (nh->nlmsg_type != RTM_NEWTFILTER || tc->tcm_handle != c->handle ||
	    TC_H_MAJ(tc->tcm_info) >> 16 != c->prio)
		return 0;
	a = tc_attr(nh, TCA_KIND);
	opts = tc_attr(nh, TCA_OPTIONS);
	if (!a || strncmp(RTA_DATA(a), "bpf", RTA_PAYLOAD(a)) != 0 || !opts)
		return 0;
	alen = (int)RTA_PAYLOAD(opts);
	for (a = RTA_DATA(opts); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == TCA_BPF_ID && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
			memcpy(&c->prog_id, RTA_DATA(a), sizeof(uint32_t));
			c->found = true;
		}
	return 0;
}

int tc_filter_prog(int ifindex, bool egress, uint32_t prio, uint32_t handle, uint32_t *ret_prog_id)
{
	struct filter_ctx c = { .prio = prio, .handle = handle };
	int r = rtnl_dump(RTM_GETTFILTER, ifindex,
			  TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS),
			  filter_fn, &c);

	if (r < 0)
		return r;
	*ret_prog_id = c.prog_id;
	return c.found;
}
