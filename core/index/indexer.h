// The indexing and search jobs behind engine/index_service.h: a folder scan planned and applied
// by Library, images decoded and preprocessed on a pool one batch ahead of the model, video
// frames sampled at a fixed rate (faster for short clips) plus frames at scene changes, every batch
// committed in its own transaction, then the embedding health check over the whole library.
#pragma once

#include "engine/index_service.h"

namespace ml::index {

IndexResult runIndex(const IndexRequest &request, JobContext &ctx);
SearchResult runSearch(const SearchRequest &request, JobContext &ctx);

} // namespace ml::index
