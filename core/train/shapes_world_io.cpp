// Shapes World writers: PNG + caption side-cars + labels.json, the zero-shot class folders and
// MP4 clips with their ground truth. Media encoding needs MODALLENS_MEDIA.
#include "train/shapes_world_io.h"

#include "common/error.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media_encode.h"
#endif

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

void makeDir(const fs::path &dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(dir.string() + ": cannot create the folder (" + ec.message() + ")");
}

void savePng(const ml::io::RgbImage &image, const fs::path &path)
{
#ifdef MODALLENS_HAVE_MEDIA
    ml::io::saveImage(image, path);
#else
    (void)image;
    throw Error(path.string() + ": cannot write images: ModalLens was built without media I/O (MODALLENS_MEDIA)");
#endif
}

std::string numbered(const char *format, std::uint64_t i)
{
    char name[64];
    std::snprintf(name, sizeof name, format, static_cast<unsigned long long>(i));
    return name;
}

nlohmann::json objectJson(const ShapeObject &o)
{
    const Box b = o.bounds();
    return {{"shape", shapeName(o.shape)}, {"colour", colourName(o.colour)}, {"size", sizeName(o.size)},
        {"box", {b.x0, b.y0, b.x1, b.y1}}, {"center", {o.cx(), o.cy()}}, {"position", positionName(o.position())},
        {"rgb", {o.rgb.r, o.rgb.g, o.rgb.b}}, {"angle", o.angleDeg}};
}

} // namespace

void writeText(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        throw Error(path.string() + ": cannot write");
}

nlohmann::json toJson(const ShapesSample &sample)
{
    nlohmann::json objects = nlohmann::json::array(), mentions = nlohmann::json::array(),
                   questions = nlohmann::json::array();
    for (const ShapeObject &o : sample.scene.objects)
        objects.push_back(objectJson(o));
    for (const ObjectMention &m : sample.caption.mentions) {
        nlohmann::json j = {{"shape", shapeName(m.shape)}, {"colour", colourName(m.colour)}};
        if (m.size)
            j["size"] = sizeName(*m.size);
        if (m.position)
            j["position"] = positionName(*m.position);
        mentions.push_back(j);
    }
    for (const QuestionAnswer &qa : sample.questions)
        questions.push_back({{"type", questionTypeName(qa.type)}, {"question", qa.question}, {"answer", qa.answer}});
    return {{"caption", sample.caption.text}, {"mentions", mentions}, {"objects", objects}, {"questions", questions}};
}

nlohmann::json toJson(const ShapesVideo &video)
{
    nlohmann::json tracks = nlohmann::json::array();
    for (const VideoTrack &t : video.tracks)
        tracks.push_back({{"label", t.label()}, {"shape", shapeName(t.start.shape)},
            {"colour", colourName(t.start.colour)}, {"size", sizeName(t.start.size)}, {"first_frame", t.firstFrame},
            {"last_frame", t.lastFrame}, {"start_s", t.startS(video.fps)}, {"end_s", t.endS(video.fps)}});
    return {{"fps", video.fps}, {"frames", video.frames.size()}, {"size", kCanvasSize}, {"tracks", tracks}};
}

void writeShapesFolder(const ShapesWorld &world, const fs::path &dir, std::uint64_t first, std::size_t count)
{
    makeDir(dir);
    nlohmann::json labels = nlohmann::json::array();
    for (std::size_t i = 0; i < count; ++i) {
        const ShapesSample sample = world.sample(first + i);
        const std::string stem = numbered("%06llu", first + i);
        savePng(sample.image, dir / (stem + ".png"));
        writeText(dir / (stem + ".txt"), sample.caption.text + "\n");
        nlohmann::json entry = toJson(sample);
        entry["file"] = stem + ".png";
        entry["index"] = first + i;
        labels.push_back(std::move(entry));
    }
    writeText(dir / "labels.json", labels.dump(1) + "\n");
}

void writeZeroShotFolder(const fs::path &dir, std::uint64_t seed, int perClass, const Augmentations &augment)
{
    const std::vector<ZeroShotItem> items = makeZeroShotSet(seed, perClass, augment);
    nlohmann::json folders = nlohmann::json::array(), heldOut = nlohmann::json::array();
    const std::vector<std::string> labels = zeroShotLabels();
    for (std::size_t label = 0; label < labels.size(); ++label) {
        const Colour c = zeroShotColour(static_cast<int>(label));
        const Shape s = zeroShotShape(static_cast<int>(label));
        folders.push_back(std::string(colourName(c)) + "_" + shapeName(s));
        makeDir(dir / folders.back().get<std::string>());
        if (isHeldOut(c, s))
            heldOut.push_back(labels[label]);
    }
    std::vector<int> counts(labels.size(), 0);
    for (const ZeroShotItem &item : items) {
        const fs::path folder = dir / folders[static_cast<std::size_t>(item.label)].get<std::string>();
        savePng(item.image, folder / numbered("%04llu.png", static_cast<std::uint64_t>(counts[item.label]++)));
    }
    writeText(dir / "labels.json",
        nlohmann::json(
            {{"labels", labels}, {"held_out", heldOut}, {"folders", folders}, {"seed", seed}, {"per_class", perClass}})
                .dump(1)
            + "\n");
}

ml::io::RgbImage upscaleNearest(const ml::io::RgbImage &image, int scale)
{
    if (scale <= 1)
        return image;
    ml::io::RgbImage out;
    out.width = image.width * scale;
    out.height = image.height * scale;
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
    for (int y = 0; y < out.height; ++y) {
        const std::uint8_t *src = image.row(y / scale);
        std::uint8_t *dst = out.row(y);
        for (int x = 0; x < out.width; ++x)
            std::copy_n(src + 3 * (x / scale), 3, dst + 3 * x);
    }
    return out;
}

ml::io::RgbImage contactSheet(const std::vector<ml::io::RgbImage> &images, int columns, int scale)
{
    constexpr int kGap = 2;
    if (images.empty() || columns <= 0)
        return {};
    const int w = images.front().width * scale, h = images.front().height * scale;
    const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
    ml::io::RgbImage sheet;
    sheet.width = columns * (w + kGap) + kGap;
    sheet.height = rows * (h + kGap) + kGap;
    sheet.pixels.assign(static_cast<std::size_t>(sheet.width) * sheet.height * 3, 16);
    for (std::size_t i = 0; i < images.size(); ++i) {
        const ml::io::RgbImage big = upscaleNearest(images[i], scale);
        if (big.width != w || big.height != h)
            throw Error("contact sheet: image " + std::to_string(i) + " is " + std::to_string(big.width) + "x"
                + std::to_string(big.height) + ", expected " + std::to_string(w) + "x" + std::to_string(h));
        const int x0 = kGap + static_cast<int>(i % columns) * (w + kGap);
        const int y0 = kGap + static_cast<int>(i / columns) * (h + kGap);
        for (int y = 0; y < h; ++y)
            std::copy_n(big.row(y), 3 * w, sheet.row(y0 + y) + 3 * x0);
    }
    return sheet;
}

void writeVideoMp4(const ShapesVideo &video, const fs::path &file, int scale)
{
#ifdef MODALLENS_HAVE_MEDIA
    if (scale < 1)
        throw Error(file.string() + ": video scale must be >= 1, got " + std::to_string(scale));
    ml::io::VideoEncoder encoder;
    encoder.open(file, "h264", kCanvasSize * scale, kCanvasSize * scale, video.fps);
    for (const ml::io::RgbImage &frame : video.frames)
        encoder.write(upscaleNearest(frame, scale));
    encoder.finish();
#else
    (void)video;
    (void)scale;
    throw Error(file.string() + ": cannot write videos: ModalLens was built without media I/O (MODALLENS_MEDIA)");
#endif
}

void writeVideoFolder(const ShapesWorld &world, const fs::path &dir, std::uint64_t first, std::size_t count,
    const VideoOptions &options, int scale)
{
    makeDir(dir);
    for (std::size_t i = 0; i < count; ++i) {
        const ShapesVideo video = world.video(first + i, options);
        const std::string stem = numbered("clip_%04llu", first + i);
        writeVideoMp4(video, dir / (stem + ".mp4"), scale);
        nlohmann::json j = toJson(video);
        j["file"] = stem + ".mp4";
        j["scale"] = scale;
        writeText(dir / (stem + ".json"), j.dump(1) + "\n");
    }
}

} // namespace ml::train
