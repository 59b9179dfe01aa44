// `modallens-cli samples [--out DIR]`: writes the sample gallery (Shapes World pictures and
// clips, Fashion-MNIST test images in a labelled folder) that the GUI's File > Open Sample Gallery shows.
#include "cli_common.h"

#include "train/sample_gallery.h"

#include <iostream>

namespace ml::cli {

namespace {

int runSamples(Context &ctx)
{
    if (!ctx.args.positional().empty())
        throw UsageError("samples takes no positional arguments (the folder is --out DIR)");
    const auto out = ctx.args.value("out");
    if (out && out->empty())
        throw UsageError("--out needs a folder");
    train::SampleGalleryOptions options;
    options.fashionMnistDir = ctx.args.valueOr("fashion-mnist", "");

    const auto r = std::any_cast<train::SampleGalleryResult>(
        runJob(ctx.global, train::makeSampleGalleryJob(out.value_or(std::string()), options)));
    for (const auto &w : r.warnings)
        warn(ctx.global, w);
    if (ctx.global.json) {
        printJson({{"dir", r.dir}, {"written", r.written}, {"shapes", r.shapes}, {"clips", r.clips},
            {"fashion_mnist", r.fashion}, {"labelled", r.labelled}, {"warnings", r.warnings}});
    } else {
        std::cout << r.dir << "\n"
                  << "  " << r.shapes << " Shapes World images, " << r.clips << " clips, " << r.fashion
                  << " Fashion-MNIST images" << (r.written ? "" : " (already there, left as it was)") << "\n";
        if (!r.labelled.empty())
            std::cout << "  labelled folder (one sub-folder per class, for train coop and eval): " << r.labelled
                      << "\n";
        std::cout << std::flush;
    }
    return kOk;
}

} // namespace

std::vector<Command> samplesCommands()
{
    return {{"samples",
        "samples [--out DIR] [--fashion-mnist DIR]  write the sample gallery (default: the app's data folder)",
        {"out", "fashion-mnist"}, {}, runSamples}};
}

} // namespace ml::cli
