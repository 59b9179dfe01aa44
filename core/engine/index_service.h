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
    // A clip shorter than minVideoFrames / videoFps is sampled faster, so that it gets this many
    // frames (at most its own frame count): a similarity-over-time curve worth reading. Videos
    // indexed before with fewer frames than that are sampled again on the next run.
    int minVideoFrames = 16;
    // Extra frames at scene changes: where the picture differs from the previous decoded frame by
    // more than this (mean absolute difference of small grey thumbnails, 0..1). 0: off.
    double sceneThreshold = 0.25;
    int batchSize = 32; // images (or video frames) per model batch and per committed transaction
};

struct IndexFailure {
    std::string file;  // the path the library stores (absolute, canonical)
    std::string error; // why, without the file's path: "not a decodable image (...)"
};

// A file whose vector cannot be right (NaN, infinite, constant, near-identical to many others).
struct IndexHealthIssue {
    std::string file;
    std::string reason;
};

struct IndexResult {
    std::int64_t added = 0;       // new files embedded
    std::int64_t updated = 0;     // known files re-embedded (changed content, no vectors for this model, resampled)
    std::int64_t resampled = 0;   // of which short videos indexed before with fewer frames than minVideoFrames
    std::int64_t unchanged = 0;   // skipped: already embedded
    std::int64_t touched = 0;     // size/mtime changed, same content: metadata only
    std::int64_t moved = 0;       // same content at a new path: vectors kept
    std::int64_t removed = 0;     // gone from disk
    std::int64_t frames = 0;      // video frames embedded
    std::int64_t sceneFrames = 0; // of which taken at scene changes
    std::vector<IndexFailure> failed;
    bool modelChanged = false; // registerModel dropped this model's old vectors (config changed)
    std::string modelId;
    double seconds = 0.0;
    double imagesPerS = 0.0; // embedded images + frames per second of the embedding phase
    // The embedding health check over the whole library's vectors of this model, after indexing.
    std::vector<IndexHealthIssue> health;
    std::int64_t healthChecked = 0; // files checked
    std::int64_t embedded() const { return added + updated; }
};

enum class VideoAggregate { Mean, Max, Best };
VideoAggregate parseVideoAggregate(const std::string &name); // "mean" | "max" | "best"; throws ml::Error

// Which files a search (or the near-duplicate view) considers. Empty / zero fields: no limit.
struct SearchFilter {
    bool images = true, videos = true;
    std::vector<std::string> folders; // only files under one of these (absolute, canonical; whole path components)
    std::int64_t fromS = 0, toS = 0;  // modification time in seconds since the epoch, inclusive
    bool empty() const { return images && videos && folders.empty() && fromS == 0 && toS == 0; }
};

struct SearchRequest {
    std::string library;
    std::string model = "clip-mini";
    std::string text;                            // empty: none
    std::string image;                           // empty: none
    double textWeight = 0.5;                     // with both: weight * text + (1 - weight) * image, renormalised
    std::string textTemplate = "a photo of {}."; // "{}" is the query; "" or "{}": the text as given
    int k = 10;
    // Best: a clip ranks by the part that matches (the mean over its best moment's frames), as the
    // README promises; Mean dilutes a brief match over the whole clip, Max trusts one frame.
    VideoAggregate videoAggregate = VideoAggregate::Best;
    SearchFilter filter;
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
    // The approximate index when one answered: its kind and recall@10 against exact search measured
    // on sampled queries; indexBuilding: one is being built in the background (exact meanwhile).
    std::string approxKind;
    double recallAt10 = -1.0;
    bool indexBuilding = false;
};

// Near-duplicate groups: candidates from the vectors, confirmed by the pictures. A pair is a
// candidate when the cosine similarity of its vectors (per file: the image's, or the mean of a
// video's frames) reaches `threshold`; a small CLIP puts different pictures of one kind (two coats)
// that close, so a candidate is only grouped when the perceptual hashes (64-bit PHash) of the two
// pictures differ in at most maxHashDistance bits. A video is hashed at 25 %, 50 % and 75 % of its
// length (every one must match another video's), against a picture by its middle frame. Greedy in
// path order: each file not yet grouped leads a group of the later ungrouped files that pass both
// tests with it.
struct DuplicatesRequest {
    std::string library;
    std::string model = "clip-mini";
    double threshold = 0.95; // cosine of the vectors: proposes candidates
    int maxHashDistance = 6; // of 64 PHash bits: confirms them; < 0: vectors only (no decoding)
    SearchFilter filter;
    ComputeOptions compute;
};
struct DuplicateGroup {
    std::vector<std::string> files; // the first is the group's representative
    std::vector<float> scores;      // similarity of each file's vector to the first's (1 for the first)
    std::vector<int> hashDistances; // PHash bits that differ from the first's (0 for the first; -1: not hashed)
};
struct DuplicatesResult {
    std::vector<DuplicateGroup> groups; // largest first
    std::int64_t files = 0;             // files compared
    std::string modelId;
    bool hashed = false;                  // the pictures confirmed the groups (false: vectors only)
    std::int64_t candidatePairs = 0;      // pairs whose vectors reached the threshold (and were checked)
    std::int64_t rejectedPairs = 0;       // of which the pictures differed too much
    std::vector<IndexFailure> unreadable; // files whose picture could not be read: in no group
};

// The model id a library records for `model` (its folder name + config hash of its files).
struct LibraryModelKey {
    std::string modelId, configHash, name, path;
};
LibraryModelKey libraryModelKey(const std::string &model);

Job makeIndexJob(IndexRequest request);           // value: IndexResult
Job makeSearchJob(SearchRequest request);         // value: SearchResult; refuses when the library needs re-indexing
Job makeDuplicatesJob(DuplicatesRequest request); // value: DuplicatesResult

} // namespace ml
