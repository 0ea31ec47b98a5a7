/* trigger WHAT N: makes an event happen N times, so a test can count it.
 *   getpid N    N getpid() calls (tracepoint syscalls/sys_enter_getpid, uprobe libc:getpid)
 *   getppid N   N getppid() calls (tracepoint syscalls/sys_enter_getppid)
 *   unlink N    N unlink()s of a temporary file (do_unlinkat: kprobe, fentry, fexit)
 *   open N      N open()s of /proc/self/stat (lsm file_open)
 *   func N      N calls of bpfman_test_target() in this binary (uprobe by path/offset)
 *   offset      prints the file offset of bpfman_test_target() in this binary, from
 *               /proc/self/maps (independent of the manager's own ELF lookup)
 *   wait-func   waits for SIGUSR1, then calls bpfman_test_target() 10 times (pid filter)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bpfman_test_target(int x);
__attribute__((noinline, used)) int bpfman_test_target(int x)
{
	/* the asm keeps the call from being folded away */
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = 1;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	int acc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: trigger getpid|unlink|open|func|wait-func N\n");
		return 2;
	}
	if (!strcmp(argv[1], "getpid")) {
		for (long i = 0; i < n; i++)
			acc += getpid() > 0;
	} else if (!strcmp(argv[1], "getppid")) {
		for (long i = 0; i < n; i++)
			acc += getppid() > 0;
	} else if (!strcmp(argv[1], "unlink")) {
		char path[] = "/tmp/bpfman-trigger.XXXXXX";

		for (long i = 0; i < n; i++) {
			int fd = mkstemp(path);

			if (fd >= 0)
				close(fd);
			unlink(path);
			strcpy(path, "/tmp/bpfman-trigger.XXXXXX");
		}
	} else if (!strcmp(argv[1], "open")) {
		for (long i = 0; i < n; i++) {
			int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

			if (fd >= 0)
				close(fd);
		}
	} else if (!strcmp(argv[1], "func")) {
		for (long i = 0; i < n; i++)
			acc = bpfman_test_target(acc);
	} else if (!strcmp(argv[1], "offset")) {
		unsigned long addr = (unsigned long)&bpfman_test_target, start, end, off;
		char line[512], perms[8];
		FILE *f = fopen("/proc/self/maps", "re");

		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%lx-%lx %7s %lx", &start, &end, perms, &off) == 4 &&
			    addr >= start && addr < end) {
				printf("0x%lx\n", addr - start + off);
				fclose(f);
				return 0;
			}
		}
		return 1;
	} else if (!strcmp(argv[1], "wait-func")) {
		signal(SIGUSR1, on_usr1);
		printf("%d\n", getpid());
		fflush(stdout);
		while (!go)
			pause();
		for (int i = 0; i < 10; i++)
			acc = bpfman_test_target(acc);
	} else {
		fprintf(stderr, "trigger: unknown event '%s'\n", argv[1]);
		return 2;
	}
	return acc < 0;
}
