/* PLACEHOLDER: replaced by the image-sign work before it merges. */
#include <errno.h>

#include "cli.h"
#include "log.h"

int cmd_image_sign(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}

int cmd_image_verify(int argc, char **argv)
{
	log_error("not built yet");
	return -ENOSYS;
}
