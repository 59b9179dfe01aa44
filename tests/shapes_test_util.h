// Shapes World pictures and labelled folders for the tests that index, search or learn prompts.
#pragma once

#include "io/media.h"
#include "train/shapes_world.h"

#include <QtTest>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace shapes_test {

// One object of the given kind at (x, y), side in pixels (>= 18 counts as large).
inline ml::train::ShapeObject object(ml::train::Shape shape, ml::train::Colour colour, double x, double y, double side)
{
    ml::train::ShapeObject o;
    o.shape = shape;
    o.colour = colour;
    o.size = side >= 18 ? ml::train::SizeClass::Large : ml::train::SizeClass::Small;
    o.x = x;
    o.y = y;
    o.side = side;
    o.rgb = ml::train::colourRgb(colour);
    return o;
}

inline ml::io::RgbImage render(const ml::train::ShapeObject &o)
{
    ml::train::Scene scene;
    scene.objects.push_back(o);
    return ml::train::renderScene(scene);
}

// A 6 s clip at 12 fps: `o` on screen in frames [first, last], the background elsewhere.
inline ml::train::ShapesVideo clip(const ml::train::ShapeObject &o, int first, int last)
{
    ml::train::ShapesVideo v;
    v.fps = 12.0;
    const auto empty = ml::train::renderScene(ml::train::Scene {});
    const auto full = render(o);
    for (int i = 0; i < 72; ++i)
        v.frames.push_back(i >= first && i <= last ? full : empty);
    ml::train::VideoTrack t;
    t.start = o;
    t.endX = o.x;
    t.endY = o.y;
    t.firstFrame = first;
    t.lastFrame = last;
    v.tracks.push_back(t);
    return v;
}

// count Shapes World pictures (any split) as dir/<prefix><i>.png; their paths, in order.
inline std::vector<std::filesystem::path> writeWorldPictures(
    const std::filesystem::path &dir, std::uint64_t seed, int count, const std::string &prefix)
{
    std::filesystem::create_directories(dir);
    ml::train::ShapesWorldOptions options;
    options.split = ml::train::Split::Any;
    const ml::train::ShapesWorld world(seed, options);
    std::vector<std::filesystem::path> out;
    for (int i = 0; i < count; ++i) {
        out.push_back(dir / (prefix + std::to_string(i) + ".png"));
        ml::io::saveImage(world.sample(static_cast<std::uint64_t>(i)).image, out.back());
    }
    return out;
}

// The hard CoOp label set: how many shapes an image holds, "one" / "two" / "three", perClass
// augmented PNGs each under dir/<class>/ (clip-mini's hand-written "a photo of a two." is below
// chance; a learnt context is far above it).
inline void writeCountFolder(const std::filesystem::path &dir, int perClass, std::uint64_t seed)
{
    ml::train::ShapesWorldOptions options;
    options.split = ml::train::Split::Any;
    options.minObjects = 1;
    options.maxObjects = 3;
    options.augment = ml::train::Augmentations::all();
    const ml::train::ShapesWorld world(seed, options);
    const char *names[] = {"one", "two", "three"};
    std::map<std::string, int> count;
    int done = 0;
    for (std::uint64_t i = 0; done < perClass * 3; ++i) {
        QVERIFY(i < 100000u);
        const auto sample = world.sample(i);
        const std::string c = names[sample.scene.objects.size() - 1];
        if (count[c] >= perClass)
            continue;
        std::filesystem::create_directories(dir / c);
        char name[32];
        std::snprintf(name, sizeof name, "%04d.png", count[c]++);
        ml::io::saveImage(sample.image, dir / c / name);
        ++done;
    }
}

} // namespace shapes_test
