/* PLACEHOLDER: replaced by the image-pull work before it merges. */
#include <errno.h>

#include "cli.h"
#include "log.h"

int cmd_image_pull(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}

int cmd_image_list(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}

int cmd_image_rm(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}
