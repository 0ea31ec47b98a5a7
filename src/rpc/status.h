/* errno -> gRPC status, in one table. */
#pragma once

#include <grpc/status.h>

grpc_status_code grpc_status_from_errno(int r);
