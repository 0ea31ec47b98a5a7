/* Which qdisc sits at an interface's ingress/clsact slot: an rtnetlink qdisc dump. libbpf
 * creates and destroys clsact but cannot tell a legacy `ingress` qdisc from it, and a TC
 * program under a legacy ingress qdisc would silently lose its egress half. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "tc-qdisc.h"

int tc_ingress_qdisc_kind(int ifindex, char *kind, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)), .nlmsg_type = RTM_GETQDISC,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex },
	};
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	char buf[16384];

	kind[0] = '\0';
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
			struct tcmsg *tc = NLMSG_DATA(nh);
			int alen;

			if (nh->nlmsg_type == NLMSG_DONE)
				return kind[0] ? 1 : 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			if (nh->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != ifindex ||
			    tc->tcm_parent != TC_H_INGRESS)
				continue;
			alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc)));
			for (struct rtattr *a = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc)));
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == TCA_KIND) {
					size_t klen = RTA_PAYLOAD(a) < len ? RTA_PAYLOAD(a) : len - 1;

					memcpy(kind, RTA_DATA(a), klen);
					kind[klen] = '\0';
				}
		}
	}
}
