/* bpfman image SUBCOMMAND: the image cache (pull, list, rm; cmd-image-pull.c), building
 * images without a container engine (build, generate-build-args; cmd-image-build.c) and
 * their cosign signatures (sign, verify; cmd-image-sign.c). The subcommands are those of
 * the command table (commands.c). */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int cmd_image(int argc, char **argv)
{
	const struct cli_command *image = cli_command_find(cli_commands, "image"), *sub;

	if (argc < 1) {
		cli_usage_error("which image command?");
		return -EINVAL;
	}
	sub = cli_command_find(image->subs, argv[0]);
	if (!sub) {
		cli_usage_error("unknown image command '%s'", argv[0]);
		return -EINVAL;
	}
	return sub->run(argc - 1, argv + 1);
}
