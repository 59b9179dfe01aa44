// The CoOp service of core/engine/coop_service.h: the training job and a learnt prompt's
// description for the GUI.
#include "engine/coop_service.h"

#include "models/clip/clip_prompt.h"
#include "train/coop.h"

#include <filesystem>

namespace ml {

Job makeCoopTrainJob(CoopRequest request)
{
    Job job;
    job.name = "Learn a prompt (CoOp) for " + std::filesystem::path(request.folder).filename().string();
    job.lane = Lane::Training;
    job.run = [request = std::move(request)](JobContext &ctx) -> std::any { return train::trainCoop(request, ctx); };
    return job;
}

LearntPromptInfo readLearntPromptInfo(const std::string &file)
{
    const auto p = clip::loadLearntPrompt(file);
    LearntPromptInfo info;
    info.file = file;
    info.classes = p.classes;
    info.classSpecific = p.classSpecific;
    info.contextVectors = static_cast<int>(p.contextVectors());
    info.width = p.width();
    info.model = p.model;
    info.templ = p.templ;
    info.initWords = p.init;
    info.shots = static_cast<int>(p.shots);
    info.seed = p.seed;
    info.accuracyBefore = p.accuracyBefore;
    info.accuracyAfter = p.accuracyAfter;
    return info;
}

} // namespace ml
