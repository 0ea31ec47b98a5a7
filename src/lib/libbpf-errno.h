/* libbpf's own error codes (LIBBPF_ERRNO__*, 4000 and up) are no errno: strerror() says
 * "Unknown error 4001" and a status table reads them as internal errors. */
#pragma once

/* r: a negative errno or -LIBBPF_ERRNO__*. Returns a negative errno saying the same kind of
 * thing (a malformed object -ENOEXEC, a refused program -EINVAL, ...). */
int libbpf_errno(int r);
/* Text for r: libbpf's own words for its codes, strerror() for the rest. Static or
 * thread-local storage. */
const char *libbpf_errstr(int r);
