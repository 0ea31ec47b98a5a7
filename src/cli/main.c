/* bpfman: the command-line front end. It calls libbpfman directly (no daemon needed) and
 * shares state with a running server through the same lock and database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "build-config.h"
#include "log.h"

const char *arg_root;

static void notice(int level, const char *msg, void *userdata)
{
	if (level == 0)
		log_warn("%s", msg);
	else if (level == 1)
		log_info("%s", msg);
	else
		log_debug("%s", msg);
}

int cli_open(bool read_only, struct bpfman **ret)
{
	struct bpfman_open_opts o = { .root = arg_root, .read_only = read_only };
	struct bpfman *m = NULL;
	int r = bpfman_open(&o, notice, NULL, &m);

	if (r < 0) {
		log_error("%s", bpfman_error(m)[0] ? bpfman_error(m) : strerror(-r));
		bpfman_close(m);
		return r;
	}
	*ret = m;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: bpfman [--root DIR] COMMAND ...\n"
	      "\n"
	      "Commands:\n"
	      "  load file  --programs TYPE:FUNC[:ATTACH_FN]... -p PATH [-g NAME=HEX]...\n"
	      "             [-a APP] [-m K=V[,K=V]] [--map-owner-id ID] [-o json]\n"
	      "  load image --programs TYPE:FUNC[:ATTACH_FN]... -i URL [-r BASE64(USER:PASS)]\n"
	      "             [-p Always|IfNotPresent|Never] [-g NAME=HEX]... [-a APP] [-m K=V]\n"
	      "             [--map-owner-id ID] [-o json]\n"
	      "  unload PROGRAM_ID\n"
	      "  attach PROGRAM_ID tracepoint -t CATEGORY/NAME [-m K=V]\n"
	      "  attach PROGRAM_ID kprobe     -f FN [-o OFFSET] [-m K=V]\n"
	      "  attach PROGRAM_ID uprobe     -t TARGET [-f FN] [-o OFFSET] [--pid PID]\n"
	      "                               [-c CONTAINER_PID] [-m K=V]\n"
	      "  attach PROGRAM_ID xdp        -i IFACE [-p PRIO] [--proceed-on NAME...] [-n NETNS]\n"
	      "  attach PROGRAM_ID tc         -d ingress|egress -i IFACE [-p PRIO]\n"
	      "                               [--proceed-on NAME...] [-n NETNS]\n"
	      "  attach PROGRAM_ID tcx        -d ingress|egress -i IFACE [-p PRIO] [-n NETNS]\n"
	      "  attach PROGRAM_ID fentry|fexit|lsm [-m K=V]\n"
	      "  detach LINK_ID\n"
	      "  list programs [-p KERNEL_TYPE] [--application NAME] [-m K=V] [-a|--all] [-o json]\n"
	      "  list links    [-p KERNEL_TYPE] [--application NAME] [-m K=V] [-o json]\n"
	      "  get program PROGRAM_ID [-o json]\n"
	      "  get link LINK_ID [-o json]\n"
	      "  dispatcher show IFACE [-d ingress|egress] [-n NETNS] [-o json]   the xdp (or tc) chain\n"
	      "  system service [--timeout S] [--socket-path P]   the gRPC server (bpfman-rpc)\n"
	      "  image pull -i URL [-r BASE64] [-p Always|IfNotPresent|Never]   into the cache\n"
	      "  image list [-o json]                          the cached images\n"
	      "  image rm REF|DIGEST                           from the cache\n"
	      "  image build -b OBJECT -t REF [--push | -o OCI_LAYOUT_DIR]   without docker\n"
	      "  image generate-build-args -b OBJECT          the labels an image of OBJECT gets\n"
	      "  image sign --key KEY [--password-env VAR] REF   cosign-format signature\n"
	      "  image verify [--key PUBLIC_KEY]... [-o json] REF   check its signatures\n"
	      "  apply -f FILE|DIR [-f ...] [--dry-run] [-o json]   declared applications (YAML)\n"
	      "  apply --boot [-d DIR]          every file of DIR (/etc/bpfman/applications.d)\n"
	      "  delete -f FILE|DIR [-f ...] [--dry-run] [-o json]  remove what the files declare\n"
	      "  status [-o json]               each applied application: applied/partly/pending\n"
	      "\n"
	      "TYPE: xdp tc tcx tracepoint kprobe uprobe fentry fexit lsm\n"
	      "--root DIR (or BPFMAN_ROOT) moves every path under DIR. BPFMAN_LOG sets the log level.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "load", cmd_load },	{ "unload", cmd_unload }, { "attach", cmd_attach },
		{ "detach", cmd_detach }, { "list", cmd_list },	  { "get", cmd_get },
		{ "system", cmd_system }, { "dispatcher", cmd_dispatcher },
		{ "image", cmd_image },
		{ "apply", cmd_apply }, { "delete", cmd_delete }, { "status", cmd_status },
	};
	const char *lvl = secure_getenv("BPFMAN_LOG");
	int i = 1;

	if (lvl && log_level_from_string(lvl) >= 0)
		log_set_level(log_level_from_string(lvl));
	arg_root = secure_getenv("BPFMAN_ROOT");
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			arg_root = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--root=", 7)) {
			arg_root = argv[i] + 7;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("bpfman %s\n", BPFMAN_VERSION);
			return 0;
		} else {
			log_error("unknown option '%s'", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(argv[i], cmds[k].name))
			return cmds[k].fn(argc - i - 1, argv + i + 1) < 0 ? 1 : 0;
	log_error("unknown command '%s' (try --help)", argv[i]);
	return 2;
}
