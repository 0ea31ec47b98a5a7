/* replace-bytes IN OUT OLD NEW: copies IN to OUT with every occurrence of the string OLD
 * replaced by NEW, padded with NUL bytes to OLD's length (so offsets in the file stay
 * valid and a NUL-terminated string table entry reads NEW): used to give an ELF object's
 * symbol a name a compiler would refuse. Exit 1 if OLD is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t n, len, new_len, hits = 0;
	char *buf;
	FILE *f;
	long sz;

	if (argc != 5 || strlen(argv[3]) < strlen(argv[4]) || !*argv[3]) {
		fprintf(stderr, "usage: replace-bytes IN OUT OLD NEW (NEW not longer than OLD)\n");
		return 2;
	}
	len = strlen(argv[3]);
	new_len = strlen(argv[4]);
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		perror(argv[1]);
		return 1;
	}
	buf = malloc(sz ? sz : 1);
	if (!buf || fread(buf, 1, sz, f) != (size_t)sz) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	for (n = 0; n + len <= (size_t)sz; n++)
		if (memcmp(buf + n, argv[3], len) == 0) {
			memset(buf + n, 0, len);
			memcpy(buf + n, argv[4], new_len);
			hits++;
			n += len - 1;
		}
	if (!hits) {
		fprintf(stderr, "'%s' not found in %s\n", argv[3], argv[1]);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(buf, 1, sz, f) != (size_t)sz || fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	free(buf);
	return 0;
}
