/* PLACEHOLDER: replaced by the image-build work before it merges. */
#include <errno.h>

#include "cli.h"
#include "log.h"

int cmd_image_build(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}

int cmd_image_generate_build_args(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}
