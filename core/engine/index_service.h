// The media library as the GUI and the CLI see it: index folders into a library with a CLIP model,
// and search it by text and/or image. std value types only; the jobs run on Lane::Inference.
#pragma once

#include "engine/clip_service.h"
#include "engine/engine.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml {

struct IndexRequest {
    std::string library;              // the SQLite file; created when missing
    std::vector<std::string> folders; // folders or single files
    std::string model = "clip-mini";  // folder or embedded name
    ComputeOptions compute;
    double videoFps = 1.0; // frames sampled per second of video
    int batchSize = 32;    // images (or video frames) per model batch and per committed transaction
};

struct IndexFailure {
    std::string file;
    std::string error;
};

struct IndexResult {
    std::int64_t added = 0;     // new files embedded
    std::int64_t updated = 0;   // known files re-embedded (changed content or no vectors for this model)
    std::int64_t unchanged = 0; // skipped: already embedded
    std::int64_t touched = 0;   // size/mtime changed, same content: metadata only
    std::int64_t moved = 0;     // same content at a new path: vectors kept
    std::int64_t removed = 0;   // gone from disk
    std::int64_t frames = 0;    // video frames embedded
    std::vector<IndexFailure> failed;
    bool modelChanged = false; // registerModel dropped this model's old vectors (config changed)
    std::string modelId;
    double seconds = 0.0;
    double imagesPerS = 0.0; // embedded images + frames per second of the embedding phase
    std::int64_t embedded() const { return added + updated; }
};

enum class VideoAggregate { Mean, Max, Best };
VideoAggregate parseVideoAggregate(const std::string &name); // "mean" | "max" | "best"; throws ml::Error

struct SearchRequest {
    std::string library;
    std::string model = "clip-mini";
    std::string text;                            // empty: none
    std::string image;                           // empty: none
    double textWeight = 0.5;                     // with both: weight * text + (1 - weight) * image, renormalised
    std::string textTemplate = "a photo of {}."; // "{}" is the query; "" or "{}": the text as given
    int k = 10;
    VideoAggregate videoAggregate = VideoAggregate::Mean;
    ComputeOptions compute;
};

struct SearchResultItem {
    std::string file;
    std::string kind; // "image" | "video"
    float score = 0.0f;
    // Videos only: the best frame's time and the sampled frames' times and similarities.
    double bestS = -1.0, startS = -1.0, endS = -1.0; // the best moment: [startS, endS) around bestS
    std::vector<double> times;
    std::vector<float> series;
};

struct SearchResult {
    std::vector<SearchResultItem> results; // best first
    std::int64_t vectors = 0;              // searched
    bool approximate = false;
    std::string modelId;
};

// The model id a library records for `model` (its folder name + config hash of its files).
struct LibraryModelKey {
    std::string modelId, configHash, name, path;
};
LibraryModelKey libraryModelKey(const std::string &model);

Job makeIndexJob(IndexRequest request);   // value: IndexResult
Job makeSearchJob(SearchRequest request); // value: SearchResult; refuses when the library needs re-indexing

} // namespace ml
