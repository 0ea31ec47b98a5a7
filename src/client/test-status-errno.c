/* The server turns an errno into a status and the client turns it back: every status the
 * table names comes back as itself, every errno as one that means the same status, and each
 * status has exactly one canonical errno. */
#include <errno.h>

#include "status-errno.h"
#include "test-util.h"

int main(void)
{
	for (unsigned i = 0; i < status_errno_table_len; i++) {
		const struct status_errno *e = &status_errno_table[i];
		unsigned canonical = 0;

		/* errno -> status -> errno -> status is stable */
		CHECK_EQ_INT(status_from_errno(-e->err), e->status);
		CHECK_EQ_INT(status_from_errno(errno_from_status(status_from_errno(-e->err))),
			     e->status);
		/* status -> errno -> status */
		CHECK_EQ_INT(status_from_errno(errno_from_status(e->status)), e->status);
		for (unsigned j = 0; j < status_errno_table_len; j++)
			canonical += status_errno_table[j].status == e->status &&
				     status_errno_table[j].canonical;
		CHECK_EQ_INT(canonical, 1);
		/* one row per errno, or the first would shadow the others */
		for (unsigned j = 0; j < i; j++)
			CHECK(status_errno_table[j].err != e->err);
	}
	CHECK_EQ_INT(status_from_errno(0), GRPC_STATUS_OK);
	CHECK_EQ_INT(errno_from_status(GRPC_STATUS_OK), 0);
	CHECK_EQ_INT(status_from_errno(-EXDEV), GRPC_STATUS_INTERNAL);
	CHECK_EQ_INT(errno_from_status(GRPC_STATUS_OUT_OF_RANGE), -EIO);
	/* the pairs the contract names */
	CHECK_EQ_INT(status_from_errno(-ENOEXEC), GRPC_STATUS_INVALID_ARGUMENT);
	CHECK_EQ_INT(errno_from_status(GRPC_STATUS_DEADLINE_EXCEEDED), -ETIMEDOUT);
	CHECK_EQ_INT(status_from_errno(-ETIMEDOUT), GRPC_STATUS_DEADLINE_EXCEEDED);
	/* registry faults (docs/images.md) */
	CHECK_EQ_INT(status_from_errno(-EBADMSG), GRPC_STATUS_DATA_LOSS);
	CHECK_EQ_INT(errno_from_status(GRPC_STATUS_DATA_LOSS), -EBADMSG);
	CHECK_EQ_INT(status_from_errno(-EFBIG), GRPC_STATUS_RESOURCE_EXHAUSTED);
	CHECK_EQ_INT(status_from_errno(-ELOOP), GRPC_STATUS_UNAVAILABLE);
	CHECK_EQ_INT(status_from_errno(-EPROTO), GRPC_STATUS_UNAVAILABLE);
	return TEST_RESULT();
}
