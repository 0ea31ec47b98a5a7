/* The in-process libbpf floor (see floor.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "floor.h"

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

int floor_load(const char *fs, const char *obj_path, const char *func, struct floor_prog *ret,
	       char *err, size_t errlen)
{
	struct bpf_prog_info info = { 0 };
	uint32_t info_len = sizeof(info);
	struct bpf_program *p, *want = NULL;
	struct bpf_object *obj;
	struct bpf_map *map;
	int e, fd;

	memset(ret, 0, sizeof(*ret));
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		return fail(err, errlen, -errno, "cannot open %s: %s", obj_path, strerror(errno));
	bpf_object__for_each_program(p, obj) {
		bool is = strcmp(bpf_program__name(p), func) == 0;

		bpf_program__set_autoload(p, is);
		if (is)
			want = p;
	}
	/* the manager pins every map itself, in the program's map directory */
	bpf_object__for_each_map(map, obj)
		if (bpf_map__pin_path(map))
			(void)bpf_map__set_pin_path(map, NULL);
	if (!want) {
		e = fail(err, errlen, -ENOENT, "no program '%s' in %s", func, obj_path);
		goto out;
	}
	if (bpf_object__load(obj) < 0) {
		e = fail(err, errlen, -errno, "cannot load '%s': %s", func, strerror(errno));
		goto out;
	}
	fd = bpf_program__fd(want);
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) < 0) {
		e = fail(err, errlen, -errno, "cannot read program info: %s", strerror(errno));
		goto out;
	}
	ret->id = info.id;
	snprintf(ret->pin, sizeof(ret->pin), "%s/progs/prog_%u", fs, ret->id);
	snprintf(ret->map_dir, sizeof(ret->map_dir), "%s/maps/%u", fs, ret->id);
	if (bpf_obj_pin(fd, ret->pin) < 0) {
		e = fail(err, errlen, -errno, "cannot pin %s: %s", ret->pin, strerror(errno));
		ret->pin[0] = '\0';
		goto out;
	}
	if (mkdir(ret->map_dir, 0700) < 0) {
		e = fail(err, errlen, -errno, "cannot make %s: %s", ret->map_dir, strerror(errno));
		ret->map_dir[0] = '\0';
		goto undo;
	}
	bpf_object__for_each_map(map, obj) {
		char *pin;

		if (bpf_map__is_internal(map))
			continue; /* .rodata/.data/.bss: the program holds them */
		if (ret->n_map_pins == FLOOR_MAX_MAPS) {
			e = fail(err, errlen, -E2BIG, "more than %d maps", FLOOR_MAX_MAPS);
			goto undo;
		}
		pin = ret->map_pins[ret->n_map_pins];
		if (snprintf(pin, PATH_MAX, "%s/%s", ret->map_dir, bpf_map__name(map)) >=
		    PATH_MAX) {
			e = fail(err, errlen, -ENAMETOOLONG, "map path too long");
			goto undo;
		}
		if (bpf_obj_pin(bpf_map__fd(map), pin) < 0) {
			e = fail(err, errlen, -errno, "cannot pin %s: %s", pin, strerror(errno));
			goto undo;
		}
		(void)chmod(pin, 0660);
		ret->n_map_pins++;
	}
	bpf_object__close(obj);
	return 0;
undo:
	(void)floor_unload(ret, NULL, 0);
out:
	bpf_object__close(obj);
	return e;
}

int floor_xdp_free(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int e = bpf_xdp_query(ifindex, 0, &q);

	if (e < 0)
		return e;
	return !(q.prog_id || q.drv_prog_id || q.skb_prog_id || q.hw_prog_id);
}

static int pin_and_close(int link_fd, const char *link_pin, char *err, size_t errlen)
{
	int e = 0;

	if (bpf_obj_pin(link_fd, link_pin) < 0)
		e = fail(err, errlen, -errno, "cannot pin link %s: %s", link_pin, strerror(errno));
	close(link_fd); /* the pin holds it; on failure closing detaches */
	return e;
}

int floor_attach_xdp(const struct floor_prog *p, int ifindex, uint32_t xdp_flags,
		     const char *link_pin, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = xdp_flags);
	int prog_fd, link_fd, e;

	prog_fd = bpf_obj_get(p->pin);
	if (prog_fd < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s", p->pin, strerror(errno));
	e = floor_xdp_free(ifindex);
	if (e <= 0) {
		close(prog_fd);
		return fail(err, errlen, e ? e : -EBUSY, "interface %d %s", ifindex,
			    e ? "cannot be queried" : "already runs an XDP program");
	}
	link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &o);
	e = -errno;
	close(prog_fd);
	if (link_fd < 0)
		return fail(err, errlen, e, "cannot attach xdp: %s", strerror(-e));
	return pin_and_close(link_fd, link_pin, err, errlen);
}

static int tracepoint_id(const char *tp, unsigned long long *ret)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[512], buf[32];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], tp);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = '\0';
		*ret = strtoull(buf, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

int floor_attach_tracepoint(const struct floor_prog *p, const char *tracepoint,
			    const char *link_pin, char *err, size_t errlen)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .type = PERF_TYPE_TRACEPOINT };
	int prog_fd, perf_fd, link_fd, e;

	e = tracepoint_id(tracepoint, &attr.config);
	if (e < 0)
		return fail(err, errlen, e, "no tracepoint %s", tracepoint);
	prog_fd = bpf_obj_get(p->pin);
	if (prog_fd < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s", p->pin, strerror(errno));
	perf_fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (perf_fd < 0) {
		e = -errno;
		close(prog_fd);
		return fail(err, errlen, e, "perf_event_open: %s", strerror(-e));
	}
	link_fd = bpf_link_create(prog_fd, perf_fd, BPF_PERF_EVENT, NULL);
	e = -errno;
	close(perf_fd); /* the link holds the perf event */
	close(prog_fd);
	if (link_fd < 0)
		return fail(err, errlen, e, "cannot link to the perf event: %s", strerror(-e));
	return pin_and_close(link_fd, link_pin, err, errlen);
}

/* As the manager detaches (src/lib/link-ops.c): a detach is over when it returns. The link
 * is detached first where the kernel can (xdp: synchronously, one RCU grace period), the
 * pin removed, then the last fd closed in process context (a perf-event link is released
 * there), and the id waited for until the kernel has freed the link (polled every 5 ms, at
 * most 1 s, as the manager does). */
int floor_detach(const char *link_pin, char *err, size_t errlen)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	uint32_t id = 0;
	int fd = bpf_obj_get(link_pin);

	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s", link_pin, strerror(errno));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		id = info.id;
	(void)bpf_link_detach(fd); /* EOPNOTSUPP for perf-event links: the close releases it */
	if (unlink(link_pin) < 0) {
		int e = -errno;

		close(fd);
		return fail(err, errlen, e, "cannot unpin %s: %s", link_pin, strerror(-e));
	}
	close(fd);
	for (int i = 0; id && i < 200; i++) {
		int lfd = bpf_link_get_fd_by_id(id);

		if (lfd < 0)
			break;
		close(lfd);
		usleep(5000);
	}
	return 0;
}

int floor_unload(struct floor_prog *p, char *err, size_t errlen)
{
	int e = 0;

	while (p->n_map_pins) {
		const char *pin = p->map_pins[--p->n_map_pins];

		if (unlink(pin) < 0 && !e)
			e = -errno;
	}
	if (p->map_dir[0] && rmdir(p->map_dir) < 0 && !e)
		e = -errno;
	if (p->pin[0] && unlink(p->pin) < 0 && !e)
		e = -errno;
	p->map_dir[0] = p->pin[0] = '\0';
	if (e && err)
		fail(err, errlen, e, "cannot unpin program %u: %s", p->id, strerror(-e));
	return e;
}
