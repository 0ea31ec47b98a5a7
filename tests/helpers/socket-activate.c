/* socket-activate PATH CMD [ARGS...]: what systemd does for a socket unit, for tests.
 * Binds and listens on the Unix socket PATH (mode 0660), puts it at fd 3, sets LISTEN_FDS=1
 * and LISTEN_PID to our own pid, and execs CMD (exec keeps the pid). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char pid[32];
	int fd;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: socket-activate PATH CMD [ARGS...]\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	(void)unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(argv[1], 0660) < 0 ||
	    listen(fd, 16) < 0) {
		fprintf(stderr, "socket-activate: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			return 1;
		close(fd);
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_PID", pid, 1);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "socket-activate: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
