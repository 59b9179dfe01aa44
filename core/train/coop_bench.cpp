// `bench coop`: CoOp on five Shapes World label sets (and Fashion-MNIST when installed), unified
// and class-specific, against the hand-written template: figures for the README, not asserted.
#include "common/error.h"
#include "engine/bench_service.h"
#include "engine/coop_service.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"
#endif

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <random>

namespace ml {

namespace {

#ifdef MODALLENS_HAVE_MEDIA
namespace fs = std::filesystem;
using train::ShapeObject;

// A labelled folder of Shapes World images (every augmentation), perClass per class, the class
// named by classOf(sample's objects) ("" = not wanted).
void writeShapesFolder(const fs::path &dir, int perClass, std::uint64_t seed, int maxObjects,
    const std::function<std::string(const std::vector<ShapeObject> &)> &classOf,
    const std::vector<std::string> &classes)
{
    train::ShapesWorldOptions options;
    options.split = train::Split::Any;
    options.minObjects = 1;
    options.maxObjects = maxObjects;
    options.augment = train::Augmentations::all();
    const train::ShapesWorld world(seed, options);
    std::map<std::string, int> count;
    for (const auto &c : classes)
        fs::create_directories(dir / c);
    int done = 0;
    for (std::uint64_t i = 0; done < perClass * static_cast<int>(classes.size()); ++i) {
        if (i >= 100000u)
            throw Error("bench coop: " + dir.string() + ": Shapes World gave too few images of some class");
        const auto sample = world.sample(i);
        const std::string c = classOf(sample.scene.objects);
        if (c.empty() || count[c] >= perClass)
            continue;
        char name[32];
        std::snprintf(name, sizeof name, "%04d.png", count[c]++);
        io::saveImage(sample.image, dir / c / name);
        ++done;
    }
}

// One object's property as the class.
template<class F> std::function<std::string(const std::vector<ShapeObject> &)> single(F name)
{
    return [name](const std::vector<ShapeObject> &objects) { return std::string(name(objects.front())); };
}

// Fashion-MNIST test images as a labelled folder (64 x 64), when the Debian package is there.
bool writeFashionFolder(const fs::path &dir, int perClass)
{
    using train::FashionMnist;
    if (!FashionMnist::available(train::FashionSplit::Test))
        return false;
    const auto data = FashionMnist::load(train::FashionSplit::Test);
    std::vector<int> count(FashionMnist::kClassCount, 0);
    for (std::size_t i = 0; i < data.size(); ++i) {
        const auto c = static_cast<std::size_t>(data.label(i));
        if (count[c] >= perClass)
            continue;
        std::string name = FashionMnist::captionNames()[c];
        std::replace(name.begin(), name.end(), ' ', '_');
        fs::create_directories(dir / name);
        char file[32];
        std::snprintf(file, sizeof file, "%04d.png", count[c]++);
        io::saveImage(data.image(i, 64), dir / name / file);
    }
    return true;
}

CoopBenchResult runCoopBench(const CoopBenchRequest &req, JobContext &job)
{
    std::random_device rd;
    const fs::path root = fs::temp_directory_path() / ("modallens-bench-coop-" + std::to_string(rd()));
    struct Remove {
        fs::path dir;
        ~Remove()
        {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } remove {root};

    job.report(0, 0, "writing label sets");
    std::vector<std::pair<std::string, fs::path>> sets;
    const auto add = [&](const std::string &name, int perClass, std::uint64_t seed, int maxObjects,
                         const std::function<std::string(const std::vector<ShapeObject> &)> &classOf,
                         const std::vector<std::string> &classes) {
        job.throwIfCancelled();
        writeShapesFolder(root / name, perClass, seed, maxObjects, classOf, classes);
        sets.emplace_back(name, root / name);
    };
    add("colours", 44, 77, 1, single([](const ShapeObject &o) { return train::colourName(o.colour); }),
        {"red", "green", "blue", "yellow", "purple", "white"});
    add("shapes", 44, 78, 1, single([](const ShapeObject &o) { return train::shapeName(o.shape); }),
        {"circle", "square", "triangle", "diamond"});
    add("sizes", 44, 79, 1, single([](const ShapeObject &o) { return train::sizeName(o.size); }), {"small", "large"});
    add("positions", 104, 2024, 1, single([](const ShapeObject &o) { return train::positionName(o.position()); }),
        {"bottom", "center", "left", "right", "top"});
    static const char *const kCounts[] = {"one", "two", "three"};
    add("counts", 104, 2024, 3,
        [](const std::vector<ShapeObject> &objects) { return std::string(kCounts[objects.size() - 1]); },
        {"one", "two", "three"});
    if (writeFashionFolder(root / "fashion-mnist", 104))
        sets.emplace_back("fashion-mnist", root / "fashion-mnist");

    CoopBenchResult r;
    const std::int64_t total = static_cast<std::int64_t>(sets.size()) * 2;
    for (const auto &[name, dir] : sets)
        for (const bool csc : {false, true}) {
            job.report(static_cast<std::int64_t>(r.cases.size()), total, name + (csc ? " (class-specific)" : ""));
            CoopRequest coop;
            coop.model = req.model;
            coop.folder = dir.string();
            coop.classSpecific = csc;
            coop.compute = req.compute;
            if (!req.optimizer.empty())
                coop.optimizer = req.optimizer;
            if (req.steps > 0)
                coop.steps = req.steps;
            if (req.lr > 0)
                coop.lr = req.lr;
            const auto c = std::any_cast<CoopResult>(makeCoopTrainJob(coop).run(job));
            std::string reading;
            for (const auto &w : c.words)
                if (w.classIndex <= 0 && !w.nearest.empty())
                    reading += (reading.empty() ? "" : " ") + w.nearest.front().word;
            r.cases.push_back({name, csc, c.optimizer, c.lr, c.steps, c.accuracyBefore, c.accuracyAfter, c.evalImages,
                c.stepsPerS, c.featureSeconds, c.seconds, reading});
        }
    return r;
}
#endif

} // namespace

Job makeCoopBenchJob(CoopBenchRequest request)
{
    Job job;
    job.name = "CoOp benchmark";
    job.lane = Lane::Training;
#ifdef MODALLENS_HAVE_MEDIA
    job.run = [req = std::move(request)](JobContext &ctx) -> std::any { return runCoopBench(req, ctx); };
#else
    job.run = [](JobContext &) -> std::any { throw Error("bench coop: this build has no media I/O"); };
    (void)request;
#endif
    return job;
}

} // namespace ml
