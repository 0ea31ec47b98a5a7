/* bpfman image SUBCOMMAND: the image cache (pull, list, rm; cmd-image-pull.c), building
 * images without a container engine (build, generate-build-args; cmd-image-build.c) and
 * their cosign signatures (sign, verify; cmd-image-sign.c). */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int cmd_image(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "pull", cmd_image_pull },
		{ "list", cmd_image_list },
		{ "rm", cmd_image_rm },
		{ "build", cmd_image_build },
		{ "generate-build-args", cmd_image_generate_build_args },
		{ "sign", cmd_image_sign },
		{ "verify", cmd_image_verify },
	};

	if (argc < 1) {
		log_error("usage: bpfman image pull|list|rm|build|generate-build-args|sign|verify ...");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[0], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	log_error("unknown image command '%s' (pull, list, rm, build, generate-build-args, sign, verify)",
		  argv[0]);
	return -EINVAL;
}
