// The sample gallery writer: renders into a hidden sibling folder, writes the marker last and
// only then swaps the folder in, so the gallery folder is either absent, old or complete.
#include "train/sample_gallery.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "train/fashion_mnist.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

#if defined(__unix__) || defined(__APPLE__)
#include <csignal>
#include <unistd.h>
#endif

namespace ml::train {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kSeed = 20250101;
constexpr int kSingleShapes = 24; // one per colour-shape pair
constexpr int kMultiShapes = 24;
constexpr int kShapesScale = 3; // 64 -> 192 px, nearest: area-averaging back to 64 gives the render
constexpr int kClips = 4;
constexpr int kClipScale = 3;
constexpr int kFashionPerClass = 10; // Prompt Tuning's default 4 shots + 6 held out, per class
constexpr const char *kLabelledFolder = "fashion-mnist";
constexpr int kFashionScale = 5; // 28 -> 140 px: as tall as the shapes in the gallery's 128-px thumbnails

void makeDir(const fs::path &dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(dir.string() + ": cannot create the folder (" + ec.message() + ")");
}

std::string slug(std::string text, char space = '-')
{
    for (char &c : text)
        c = c == ' ' || c == '/' ? space : c;
    return text;
}

// "red-circle-and-blue-square": what a picture shows, as a file name.
std::string objectsName(const std::vector<ShapeObject> &objects)
{
    std::string name;
    for (const ShapeObject &o : objects)
        name += (name.empty() ? "" : "-and-") + std::string(colourName(o.colour)) + "-" + shapeName(o.shape);
    return name;
}

std::string seconds(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// Relative paths of the gallery's files with their sizes; numbers each base name -001, -002, ...
class Writer {
public:
    explicit Writer(fs::path root) : m_root(std::move(root)) { }

    // "shapes/red-circle" + ".png" -> "shapes/red-circle-001.png"; returns the stem without root.
    std::string claim(const std::string &base)
    {
        char number[16];
        std::snprintf(number, sizeof number, "-%03d", ++m_counts[base]);
        return base + number;
    }

    void image(const io::RgbImage &image, const std::string &relative)
    {
#ifdef MODALLENS_HAVE_MEDIA
        io::saveImage(image, m_root / relative);
#else
        (void)image;
        throw Error((m_root / relative).string()
            + ": cannot write images: ModalLens was built without media I/O (MODALLENS_MEDIA)");
#endif
        add(relative);
    }
    void text(const std::string &content, const std::string &relative)
    {
        writeText(m_root / relative, content);
        add(relative);
    }
    void video(const ShapesVideo &clip, const std::string &relative)
    {
        writeVideoMp4(clip, m_root / relative, kClipScale);
        add(relative);
    }

    const nlohmann::json &files() const
    {
        return m_files;
    }

private:
    void add(const std::string &relative)
    {
        m_files[relative] = fs::file_size(m_root / relative);
    }

    fs::path m_root;
    std::map<std::string, int> m_counts;
    nlohmann::json m_files = nlohmann::json::object();
};

std::optional<nlohmann::json> readMarker(const fs::path &dir)
{
    std::ifstream in(dir / kSampleGalleryMarker, std::ios::binary);
    if (!in)
        return std::nullopt;
    try {
        nlohmann::json marker = nlohmann::json::parse(in);
        if (marker.is_object())
            return marker;
    } catch (const nlohmann::json::exception &) { }
    return std::nullopt;
}

bool markerComplete(const fs::path &dir, const nlohmann::json &marker)
{
    if (marker.value("version", 0) != kSampleGalleryVersion || !marker.contains("files")
        || !marker["files"].is_object())
        return false;
    std::error_code ec;
    for (const auto &[relative, size] : marker["files"].items()) {
        const fs::path file = dir / relative;
        if (!fs::is_regular_file(file, ec) || !size.is_number_unsigned()
            || fs::file_size(file, ec) != size.get<std::uintmax_t>() || ec)
            return false;
    }
    return true;
}

bool processAlive(long pid)
{
#if defined(__unix__) || defined(__APPLE__)
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
#else
    (void)pid;
    return true; // unknown: leave the folder
#endif
}

long processId()
{
#if defined(__unix__) || defined(__APPLE__)
    return static_cast<long>(::getpid());
#else
    return 0;
#endif
}

// ".samples." + kind: a hidden sibling of the gallery folder. (Appended, not "." + name: GCC 12
// warns falsely about operator+(const char *, std::string &&), gcc#105329.)
std::string siblingName(const fs::path &target, const std::string &kind = {})
{
    std::string name(".");
    name += target.filename().string();
    name += '.';
    name += kind;
    return name;
}

// Hidden siblings ".samples.partial-<pid>" / ".samples.old-<pid>" that a killed run left behind.
void removeStaleSiblings(const fs::path &target)
{
    std::error_code ec;
    const std::string prefix = siblingName(target);
    for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0)
            continue;
        const std::string rest = name.substr(prefix.size());
        const auto dash = rest.find('-');
        if (dash == std::string::npos || (rest.substr(0, dash) != "partial" && rest.substr(0, dash) != "old"))
            continue;
        const long pid = std::strtol(rest.c_str() + dash + 1, nullptr, 10);
        if (pid > 0 && pid != processId() && !processAlive(pid)) {
            std::error_code rm;
            fs::remove_all(it->path(), rm);
        }
    }
}

SampleGalleryResult resultFrom(const fs::path &dir, const nlohmann::json &marker, bool written)
{
    SampleGalleryResult r;
    r.dir = dir.string();
    r.shapes = marker.value("shapes", 0);
    r.clips = marker.value("clips", 0);
    r.fashion = marker.value("fashion_mnist", 0);
    if (const std::string labelled = marker.value("labelled", std::string()); !labelled.empty())
        r.labelled = (dir / labelled).string();
    r.written = written;
    return r;
}

void report(JobContext *ctx, std::int64_t done, std::int64_t total, const char *stage)
{
    if (ctx) {
        ctx->throwIfCancelled();
        ctx->report(done, total, stage);
    }
}

// Everything but the marker, into root. Returns the marker.
nlohmann::json writeContents(
    const fs::path &root, JobContext *ctx, const SampleGalleryOptions &options, std::vector<std::string> &warnings)
{
    const fs::path fashionDir
        = options.fashionMnistDir.empty() ? FashionMnist::defaultFolder() : fs::path(options.fashionMnistDir);
    std::optional<FashionMnist> fashion;
    if (FashionMnist::available(FashionSplit::Test, fashionDir))
        fashion = FashionMnist::load(FashionSplit::Test, fashionDir);
    else
        warnings.push_back("Fashion-MNIST skipped: its test files are not in " + fashionDir.string()
            + " (Debian package dataset-fashion-mnist)");

    const int fashionCount = fashion ? kFashionPerClass * FashionMnist::kClassCount : 0;
    const std::int64_t total = kSingleShapes + kMultiShapes + kClips + fashionCount;
    std::int64_t done = 0;
    Writer out(root);
    makeDir(root / "shapes");
    makeDir(root / "clips");
    if (fashion)
        makeDir(root / kLabelledFolder);

    auto writeShape = [&](const ShapesSample &sample) {
        const std::string stem = out.claim("shapes/" + objectsName(sample.scene.objects));
        out.image(upscaleNearest(sample.image, kShapesScale), stem + ".png");
        out.text(sample.caption.text + "\n", stem + ".txt");
        report(ctx, ++done, total, "shapes");
    };
    const ShapesWorld singles(kSeed, {Split::Any, 1, 1, Augmentations::all()});
    for (int label = 0; label < kSingleShapes; ++label)
        writeShape(singles.single(0, zeroShotColour(label), zeroShotShape(label)));
    const ShapesWorld multis(kSeed + 1, {Split::Any, 2, 3, Augmentations::all()});
    for (int i = 0; i < kMultiShapes; ++i)
        writeShape(multis.sample(static_cast<std::uint64_t>(i)));

    VideoOptions clipOptions;
    clipOptions.split = Split::Any;
    clipOptions.minObjects = 2;
    clipOptions.maxObjects = 3;
    for (std::uint64_t index = 0, written = 0; written < kClips; ++index) {
        // Only clips that show something at 10 % of their length, where the gallery takes its
        // thumbnail: a blank one looks broken.
        const ShapesVideo clip = singles.video(index, clipOptions);
        const int thumbnailFrame = static_cast<int>(clip.frames.size()) / 10;
        if (std::none_of(clip.tracks.begin(), clip.tracks.end(),
                [&](const VideoTrack &t) { return t.visibleIn(thumbnailFrame) && t.visibleIn(thumbnailFrame + 1); }))
            continue;
        ++written;
        std::vector<ShapeObject> objects;
        std::string description;
        for (const VideoTrack &t : clip.tracks) {
            objects.push_back(t.start);
            description
                += t.label() + " from " + seconds(t.startS(clip.fps)) + " to " + seconds(t.endS(clip.fps)) + "\n";
        }
        const std::string stem = out.claim("clips/" + objectsName(objects));
        out.video(clip, stem + ".mp4");
        out.text(description, stem + ".txt");
        nlohmann::json truth = toJson(clip);
        truth["file"] = fs::path(stem).filename().string() + ".mp4";
        truth["scale"] = kClipScale;
        out.text(truth.dump(1) + "\n", stem + ".json");
        report(ctx, ++done, total, "clips");
    }

    if (fashion) {
        std::array<int, FashionMnist::kClassCount> taken {};
        for (std::size_t i = 0; i < fashion->size() && done < total; ++i) {
            const int label = fashion->label(i);
            if (taken[static_cast<std::size_t>(label)]++ >= kFashionPerClass)
                continue;
            // The class folder is the label as LabelledFolder reads it back ("ankle_boot": "ankle boot").
            const std::string name = FashionMnist::captionNames()[static_cast<std::size_t>(label)];
            const std::string folder = std::string(kLabelledFolder) + "/" + slug(name, '_');
            makeDir(root / folder);
            const std::string stem = out.claim(folder + "/" + slug(name));
            out.image(upscaleNearest(fashion->image(i), kFashionScale), stem + ".png");
            out.text(FashionMnist::caption(label, 0) + "\n", stem + ".txt");
            report(ctx, ++done, total, "fashion-mnist");
        }
        if (done < total)
            throw Error(fashionDir.string() + ": the Fashion-MNIST test split has fewer than "
                + std::to_string(kFashionPerClass) + " images of some class");
    }

    return {{"version", kSampleGalleryVersion}, {"seed", kSeed}, {"shapes", kSingleShapes + kMultiShapes},
        {"clips", kClips}, {"fashion_mnist", fashionCount}, {"fashion_mnist_skipped", !fashion},
        {"labelled", fashion ? kLabelledFolder : ""}, {"files", out.files()}};
}

} // namespace

fs::path defaultSampleGalleryDir()
{
    return fs::path(appModelDir()).parent_path() / "samples";
}

bool isSampleGalleryComplete(const fs::path &dir)
{
    const auto marker = readMarker(dir);
    return marker && markerComplete(dir, *marker);
}

fs::path sampleGalleryLabelledDir(const fs::path &dir)
{
    const auto marker = readMarker(dir);
    if (!marker || !markerComplete(dir, *marker))
        return {};
    const std::string labelled = marker->value("labelled", std::string());
    return labelled.empty() ? fs::path() : dir / labelled;
}

SampleGalleryResult writeSampleGallery(const fs::path &dir, JobContext *ctx, const SampleGalleryOptions &options)
{
    if (dir.empty())
        throw Error("no folder given for the sample gallery");
    fs::path target = fs::absolute(dir).lexically_normal();
    if (!target.has_filename())
        target = target.parent_path();

    std::error_code ec;
    const bool exists = fs::exists(target, ec);
    if (exists && !fs::is_directory(target, ec))
        throw Error(target.string() + ": exists and is not a folder");
    const auto marker = exists ? readMarker(target) : std::nullopt;
    if (marker && markerComplete(target, *marker)) {
        // Complete, unless Fashion-MNIST was skipped before and has been installed since.
        const fs::path fashionDir
            = options.fashionMnistDir.empty() ? FashionMnist::defaultFolder() : fs::path(options.fashionMnistDir);
        if (!marker->value("fashion_mnist_skipped", false) || !FashionMnist::available(FashionSplit::Test, fashionDir))
            return resultFrom(target, *marker, false);
    }
    // A marker, even an unreadable one, says the folder is ours to replace.
    if (exists && !fs::exists(target / kSampleGalleryMarker, ec) && !fs::is_empty(target, ec))
        throw Error(target.string() + ": the folder holds other files and is not a sample gallery (no "
            + kSampleGalleryMarker + "); choose an empty or new folder");

    makeDir(target.parent_path());
    removeStaleSiblings(target);
    const std::string pid = std::to_string(processId());
    const fs::path partial = target.parent_path() / siblingName(target, "partial-" + pid);
    const fs::path old = target.parent_path() / siblingName(target, "old-" + pid);
    fs::remove_all(partial, ec);

    std::vector<std::string> warnings;
    try {
        makeDir(partial);
        const nlohmann::json newMarker = writeContents(partial, ctx, options, warnings);
        if (ctx)
            ctx->throwIfCancelled();
        writeText(partial / kSampleGalleryMarker, newMarker.dump(1) + "\n");

        // The swap: the old folder steps aside, the new one takes its name, the old one goes.
        if (exists) {
            fs::remove_all(old, ec);
            fs::rename(target, old, ec);
            if (ec)
                throw Error(target.string() + ": cannot replace the old sample gallery (" + ec.message() + ")");
        }
        fs::rename(partial, target, ec);
        if (ec) {
            const std::string reason = ec.message();
            if (exists)
                fs::rename(old, target, ec);
            throw Error(target.string() + ": cannot move the new sample gallery into place (" + reason + ")");
        }
        fs::remove_all(old, ec);
        SampleGalleryResult result = resultFrom(target, newMarker, true);
        result.warnings = std::move(warnings);
        return result;
    } catch (...) {
        std::error_code rm;
        fs::remove_all(partial, rm);
        throw;
    }
}

Job makeSampleGalleryJob(std::string dir, SampleGalleryOptions options)
{
    return {
        "Sample gallery", Lane::Io, [dir = std::move(dir), options = std::move(options)](JobContext &ctx) -> std::any {
            return writeSampleGallery(dir.empty() ? defaultSampleGalleryDir() : fs::path(dir), &ctx, options);
        }};
}

} // namespace ml::train
