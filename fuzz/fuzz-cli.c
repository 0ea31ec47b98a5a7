/* libFuzzer harness: the CLI's parsers. The first byte picks what is fuzzed:
 *   0..5  a command line (the rest, split at NUL bytes, is argv) for load, attach, unload,
 *         detach, list or get: option scanning, numbers, priorities, --proceed-on,
 *         -g NAME=HEX, -m KEY=VALUE, everything up to opening the library, which the
 *         stand-in cli_open() below refuses, so nothing reaches the kernel;
 *   6     the number and hex parsers of parse-util.c on the rest as one string, with
 *         their promises checked (hex round trip, no value written on failure). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "parse-util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *arg_root;

/* main.c's opens the manager; here the command stops where the kernel would begin. */
int cli_open(bool read_only, struct bpfman **ret)
{
	*ret = NULL;
	return -EPERM;
}

static void drop(enum log_level level, const char *msg)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_writer(drop);
	return 0;
}

static void numbers(const char *s)
{
	uint64_t u64 = 7;
	uint32_t u32 = 7;
	int32_t i32 = 7;
	int64_t i64 = 7;
	uint8_t *bytes = NULL;
	size_t len = 0;

	if (safe_atou64(s, 10, &u64) < 0 && u64 != 7)
		abort();
	u64 = 7;
	if (safe_atou64(s, 0, &u64) < 0 && u64 != 7)
		abort();
	if (safe_atou32(s, 0, &u32) < 0 && u32 != 7)
		abort();
	if (safe_atoi32(s, &i32) < 0 && i32 != 7)
		abort();
	if (safe_atoi64(s, &i64) < 0 && i64 != 7)
		abort();
	if (parse_hex_bytes(s, &bytes, &len) == 0) {
		char *hex = hex_string(bytes, len);
		uint8_t *again = NULL;
		size_t again_len = 0;

		/* lowercase hex of the bytes parses back to the same bytes */
		if (hex && (parse_hex_bytes(hex, &again, &again_len) != 0 || again_len != len ||
			    (len && memcmp(again, bytes, len) != 0)))
			abort();
		free(again);
		free(hex);
		free(bytes);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int (*const cmds[])(int, char **) = { cmd_load, cmd_unload, cmd_attach,
						     cmd_detach, cmd_list, cmd_get };
	char *buf, **argv;
	size_t argc = 0;

	if (size < 1 || size > 4096)
		return 0;
	/* one NUL-terminated copy: argv strings always end in NUL, as the kernel's do */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] % 7 == 6) {
		numbers(buf);
		free(buf);
		return 0;
	}
	argv = calloc(size + 1, sizeof(*argv));
	if (!argv) {
		free(buf);
		return 0;
	}
	for (size_t i = 0; i < size - 1; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	(void)cmds[data[0] % 7](argc, argv);
	free(argv);
	free(buf);
	return 0;
}
