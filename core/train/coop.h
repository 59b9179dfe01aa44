// CoOp (Zhou et al. 2022, "Learning to Prompt for Vision-Language Models"): context vectors in
// front of each class name learnt from K shots per class, the whole CLIP frozen.
#pragma once

#include "engine/coop_service.h"
#include "train/folder_dataset.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ml::train {

struct FewShotSplit {
    std::vector<std::size_t> shots;   // indices into the folder's entries, class by class
    std::vector<std::size_t> heldOut; // the images not used as shots (at most evalLimit per class)
};

// K shots per class from a seeded shuffle of each class's images (the same seed, the same shots
// on every machine); every other image is held out, at most evalLimit per class (0 = all).
// Throws one ml::Error naming the folder when it has fewer than 2 classes, or naming every class
// folder with fewer than K + 1 images.
FewShotSplit splitFewShot(const LabelledFolder &folder, int shots, std::uint64_t seed, int evalLimit = 0);

// The whole job of makeCoopTrainJob on the calling thread. Throws ml::Error / ml::Cancelled.
CoopResult trainCoop(const CoopRequest &request, JobContext &ctx);

} // namespace ml::train
