// The near-duplicate job behind engine/index_service.h's makeDuplicatesJob.
#pragma once

#include "engine/index_service.h"

namespace ml::index {

DuplicatesResult runDuplicates(const DuplicatesRequest &request, JobContext &ctx);

} // namespace ml::index
