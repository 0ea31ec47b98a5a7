/* bpfman system service: the gRPC server, as the reference CLI offers it. The server is its
 * own binary (it links grpc; the CLI stays small), so this only hands over to it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

/* bpfman-rpc next to this binary (installed), in the build tree's src/rpc, else on PATH. */
static void exec_server(char **args)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/bpfman-rpc", self);
			if (access(path, X_OK) == 0)
				execv(path, args);
			snprintf(path, sizeof(path), "%s/../rpc/bpfman-rpc", self);
			if (access(path, X_OK) == 0)
				execv(path, args);
		}
	}
	execvp("bpfman-rpc", args);
}

int cmd_system(int argc, char **argv)
{
	char **args;

	if (argc < 1 || strcmp(argv[0], "service")) {
		cli_usage_error("expected 'system service'");
		return -EINVAL;
	}
	args = calloc(argc + 3, sizeof(*args));
	if (!args)
		return -ENOMEM;
	args[0] = "bpfman-rpc";
	memcpy(args + 1, argv + 1, (argc - 1) * sizeof(*args));
	if (arg_root) {
		args[argc] = "--root";
		args[argc + 1] = (char *)arg_root;
	}
	exec_server(args);
	log_error("cannot run bpfman-rpc: %s", strerror(errno));
	free(args);
	return -errno;
}
