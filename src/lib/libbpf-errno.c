/* libbpf's error codes as errnos and text, so a broken object file is reported as bad
 * input naming the problem, not "Unknown error 4001" with an internal status. */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "libbpf-errno.h"

int libbpf_errno(int r)
{
	switch (r < 0 ? -r : r) {
	case LIBBPF_ERRNO__LIBELF:
	case LIBBPF_ERRNO__FORMAT:
	case LIBBPF_ERRNO__KVERSION:
	case LIBBPF_ERRNO__ENDIAN:
	case LIBBPF_ERRNO__RELOC:
		return -ENOEXEC; /* the file is not a BPF object this host can use */
	case LIBBPF_ERRNO__LOAD:
	case LIBBPF_ERRNO__VERIFY:
	case LIBBPF_ERRNO__KVER:
		return -EINVAL; /* the kernel refused the program */
	case LIBBPF_ERRNO__PROG2BIG:
		return -E2BIG;
	case LIBBPF_ERRNO__PROGTYPE:
		return -EOPNOTSUPP;
	case LIBBPF_ERRNO__INTERNAL:
	case LIBBPF_ERRNO__WRNGPID:
	case LIBBPF_ERRNO__INVSEQ:
	case LIBBPF_ERRNO__NLPARSE:
		return -EIO;
	default:
		return r < 0 ? r : -r;
	}
}

const char *libbpf_errstr(int r)
{
	static __thread char buf[128];
	int e = r < 0 ? -r : r;

	if (e >= __LIBBPF_ERRNO__START && e < __LIBBPF_ERRNO__END &&
	    libbpf_strerror(e, buf, sizeof(buf)) == 0)
		return buf;
	return strerror(e);
}
