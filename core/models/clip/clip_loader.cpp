// CLIP loading: config, image-processor config, weights bound by name, one report of problems.
#include "models/clip/clip_loader.h"

#include "common/error.h"
#include "io/name_aliases.h"

#include <nlohmann/json.hpp>

namespace ml::clip {

namespace fs = std::filesystem;

LoadedClip loadClip(const fs::path &folder, torch::ScalarType dtype)
{
    const io::Checkpoint ckpt = io::Checkpoint::open(folder);
    if (ckpt.family() != "clip")
        throw Error(folder.string() + ": not a CLIP checkpoint (config says '"
            + (ckpt.family().empty() ? std::string("nothing") : ckpt.family()) + "')");

    LoadedClip out;
    out.folder = ckpt.folder();
    out.name = out.folder.filename().string();
    out.openClipNaming = ckpt.isOpenClip();

    std::vector<std::string> problems;
    ClipConfig cfg;
    try {
        cfg = out.openClipNaming ? ClipConfig::fromOpenClipJson(ckpt.config()) : ClipConfig::fromJson(ckpt.config());
    } catch (const Error &e) {
        problems.push_back(ckpt.configPath().string() + ": " + e.what());
    }
    for (const auto &p : cfg.validate())
        problems.push_back(ckpt.configPath().string() + ": " + p);

    const fs::path preprocessorPath = out.folder / "preprocessor_config.json";
    try {
        if (fs::exists(preprocessorPath))
            out.processor = ClipImageProcessorConfig::fromJson(io::readJsonFile(preprocessorPath));
        else if (out.openClipNaming)
            out.processor = ClipImageProcessorConfig::fromOpenClipJson(
                ckpt.config(), static_cast<int>(cfg.vision_config.image_size));
        else
            problems.push_back("preprocessor_config.json is missing (needed for image size, mean and std)");
    } catch (const Error &e) {
        const std::string what = e.what(); // a file error names the file already
        problems.push_back(
            what.rfind(preprocessorPath.string() + ": ", 0) == 0 ? what : preprocessorPath.string() + ": " + what);
    }
    if (!problems.empty()) {
        std::string msg = folder.string() + ": cannot load CLIP:";
        for (const auto &p : problems)
            msg += "\n  " + p;
        throw Error(msg);
    }

    ClipModel model(cfg);
    io::LoadReport report;
    io::BindOptions options;
    // Older transformers saved position_ids buffers; they are derived, never needed.
    options.reportUnexpected = true;
    if (out.openClipNaming)
        io::bindParameters(*model, io::openClipToHuggingFace(ckpt), options, report);
    else
        io::bindParameters(*model, ckpt, options, report);
    report.throwIfFailed(folder.string());
    for (const auto &key : report.unexpected)
        if (key.find("position_ids") == std::string::npos)
            out.warnings.push_back("unused weight '" + key + "'");
    for (auto &w : report.nonFiniteWarnings())
        out.warnings.push_back(std::move(w));

    model->to(dtype);
    model->eval();
    out.model = model;
    return out;
}

} // namespace ml::clip
