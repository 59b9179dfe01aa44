// The sample gallery: a small, reproducible folder of Shapes World pictures and clips and
// Fashion-MNIST test images, so a fresh install has something to classify and look at.
#pragma once

#include "engine/engine.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ml::train {

// Bumped whenever what the gallery holds changes: an older folder is then written anew.
inline constexpr int kSampleGalleryVersion = 2; // 2: fashion-mnist/ is a labelled folder, 10 per class
inline constexpr const char *kSampleGalleryMarker = ".modallens-samples"; // JSON, written last

struct SampleGalleryOptions {
    std::string fashionMnistDir; // "" = FashionMnist::defaultFolder()
};

// What the folder holds. When the folder was already complete, the counts come from its marker.
struct SampleGalleryResult {
    std::string dir;
    int shapes = 0;  // shapes/<colour>-<shape>[-and-...]-NNN.png, caption in .txt beside each
    int clips = 0;   // clips/<...>-NNN.mp4 (H.264), time ranges in .txt, ground truth in .json
    int fashion = 0; // fashion-mnist/<class>/<class>-NNN.png (test split), caption in .txt
    // The labelled folder (one sub-folder per class, as Prompt Tuning and Classify's evaluation
    // read it): dir/fashion-mnist; "" when Fashion-MNIST was skipped.
    std::string labelled;
    bool written = false;              // false: the folder was complete, nothing was touched
    std::vector<std::string> warnings; // Fashion-MNIST skipped because its files are missing, ...
};

// $XDG_DATA_HOME/ModalLens/samples: beside appModelDir()'s models folder.
std::filesystem::path defaultSampleGalleryDir();

// Whether dir holds a complete gallery of this version (its marker lists every file, with sizes).
bool isSampleGalleryComplete(const std::filesystem::path &dir);
// The labelled folder of the complete gallery in dir; empty when there is none (no gallery, an
// older or incomplete one, or one written without Fashion-MNIST).
std::filesystem::path sampleGalleryLabelledDir(const std::filesystem::path &dir);

// Writes the gallery into dir, always from the same seed: 24 single-object Shapes World images
// (every colour-shape pair, held-out ones included) and 24 with two or three objects, all with
// the spec's augmentations, 192 px; 4 clips of 4 s, 192 px; 10 Fashion-MNIST test images per class,
// 140 px, one sub-folder per class (a labelled folder: Prompt Tuning's 4 shots leave 6 per class to
// measure on). Enlarged with nearest neighbours, so that shrinking them back gives the original pixels.
// A complete folder of this version is left alone. Otherwise everything is written into a hidden
// sibling folder that replaces dir only once complete, so a failure or cancel (ctx, optional)
// leaves dir as it was. Throws ml::Error naming what failed, also when dir exists, holds files and
// is not a sample gallery (it is never replaced then).
SampleGalleryResult writeSampleGallery(
    const std::filesystem::path &dir, JobContext *ctx = nullptr, const SampleGalleryOptions &options = {});

// Lane::Io; value: SampleGalleryResult. dir "" = defaultSampleGalleryDir().
Job makeSampleGalleryJob(std::string dir, SampleGalleryOptions options = {});

} // namespace ml::train
