/* bpfman: the command-line front end. It calls libbpfman directly (no daemon needed) and
 * shares state with a running server through the same lock and database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "version.h"
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

/* -h/--help anywhere before "--" (no option value is ever "-h") */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* -o json / --output json / --output=json / -ojson, looked for before parsing so that
 * errors of the parsing itself are JSON too */
static bool wants_json(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc &&
		    !strcmp(argv[i + 1], "json"))
			return true;
		if (!strcmp(argv[i], "--output=json") || !strcmp(argv[i], "-ojson"))
			return true;
	}
	return false;
}

static void print_version(void)
{
	printf("bpfman %s\ngit revision: %s\n", BPFMAN_VERSION, BPFMAN_GIT_REVISION);
}

int main(int argc, char **argv)
{
	const char *lvl = secure_getenv("BPFMAN_LOG");
	const struct cli_command *top, *node;
	char path[128];
	int i = 1, r;

	if (lvl && log_level_from_string(lvl) >= 0)
		log_set_level(log_level_from_string(lvl));
	log_set_writer(cli_log_writer);
	arg_root = secure_getenv("BPFMAN_ROOT");
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			arg_root = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--root=", 7)) {
			arg_root = argv[i] + 7;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_main_help(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			print_version();
			return 0;
		} else {
			log_error("unknown option '%s'", argv[i]);
			cli_short_usage(stderr, NULL, NULL);
			return 2;
		}
	}
	if (i >= argc) {
		cli_main_help(stderr);
		return 2;
	}
	/* the build writes the man page, the reference and the completion with this */
	if (!strcmp(argv[i], "__generate") && i + 1 < argc)
		return cli_generate(argv[i + 1], stdout) < 0 ? 2 : 0;
	top = cli_command_find(cli_commands, argv[i]);
	if (!top) {
		log_error("unknown command '%s'", argv[i]);
		cli_short_usage(stderr, NULL, NULL);
		return 2;
	}
	node = top;
	snprintf(path, sizeof(path), "%s", top->name);
	if (top->subs && i + 1 < argc && cli_command_find(top->subs, argv[i + 1])) {
		node = cli_command_find(top->subs, argv[i + 1]);
		snprintf(path, sizeof(path), "%s %s", top->name, node->name);
	}
	if (wants_help(argc - i - 1, argv + i + 1)) {
		cli_help(stdout, path, node);
		return 0;
	}
	if (node->json && wants_json(argc - i - 1, argv + i + 1))
		cli_set_json_errors(true);
	r = top->run(argc - i - 1, argv + i + 1);
	if (r >= 0)
		return 0;
	if (cli_usage_failed) {
		cli_short_usage(stderr, path, node);
		return 2;
	}
	return 1;
}
