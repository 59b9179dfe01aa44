// Shapes World (shared/specs/shapes-world.md): seeded procedural images of 1-3 coloured shapes
// with captions, question-answer pairs, the 24-way zero-shot set and short videos.
#pragma once

#include "io/media.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml::train {

enum class Shape { Circle, Square, Triangle, Diamond };
enum class Colour { Red, Green, Blue, Yellow, Purple, White };
enum class SizeClass { Small, Large };
enum class Position { Left, Right, Top, Bottom, Center };

// Train never emits the four held-out colour-shape pairs; HeldOut puts at least one of them in
// every scene (single-object scenes: only them); Any draws from all 24 pairs.
enum class Split { Train, HeldOut, Any };

inline constexpr int kShapeCount = 4;
inline constexpr int kColourCount = 6;
inline constexpr int kCanvasSize = 64;
inline constexpr double kMinGap = 2.0; // px between the bounding boxes of two objects

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb &) const = default;
};
inline constexpr Rgb kBackground {32, 32, 32};

const char *shapeName(Shape);         // "circle"
const char *colourName(Colour);       // "red"
const char *sizeName(SizeClass);      // "small"
const char *positionName(Position);   // "left", "right", "top", "bottom", "center"
std::string positionPhrase(Position); // "on the left", ..., "in the center"
Rgb colourRgb(Colour);
int sizePixels(SizeClass); // s: 12 or 24
bool isHeldOut(Colour colour, Shape shape);
// The thirds rule on the centre of an object's box; the horizontal word wins.
Position positionOf(double cx, double cy);

struct Box {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0; // [x0, x1) x [y0, y1), pixels, y down
    // Distance between two boxes along the axis that separates them most (< 0: they overlap).
    double gapTo(const Box &other) const;
    bool insideCanvas(int size = kCanvasSize) const { return x0 >= 0 && y0 >= 0 && x1 <= size && y1 <= size; }
};

struct ShapeObject {
    Shape shape = Shape::Circle;
    Colour colour = Colour::Red;
    SizeClass size = SizeClass::Small;
    double x = 0, y = 0; // top-left corner of the s x s box
    double side = 12;    // s, after size jitter
    double angleDeg = 0; // rotation about the centre (squares and diamonds)
    Rgb rgb;             // the drawn colour: the spec's, unless colour jitter moved it
    double cx() const { return x + side / 2; }
    double cy() const { return y + side / 2; }
    Box bounds() const; // what is drawn, rotation included: used for the gap and canvas rules
    Position position() const { return positionOf(cx(), cy()); }
    std::string label() const; // "a red circle"
};

struct RenderStyle {
    bool antiAliased = true; // 16-sample supersampled coverage; false: one sample per pixel
    double blurSigma = 0;    // Gaussian blur after drawing (0: none)
    double noiseSigma = 0;   // additive Gaussian noise per channel, after the blur
    std::uint64_t noiseSeed = 0;
};

struct Scene {
    std::vector<ShapeObject> objects;
    RenderStyle style;
};

// 64 x 64 RGB on the (32, 32, 32) background.
ml::io::RgbImage renderScene(const Scene &scene);

enum class EdgeMode { AntiAliased, Aliased, Mixed }; // Mixed: one or the other per image, 50/50

// The spec's "augmentations a trainer should use", each switchable. Limits from the spec.
struct Augmentations {
    static constexpr double kPositionJitter = 2.0; // px, the box moved by U(-2, 2) each way
    static constexpr double kSizeJitter = 2.0;     // px, s + U(-2, 2)
    static constexpr int kColourJitter = 15;       // per channel, U{-15..15}
    static constexpr double kMaxBlurSigma = 0.6;   // sigma ~ U(0, 0.6)
    static constexpr double kMaxNoiseSigma = 6.0;  // sigma ~ U(0, 6)
    static constexpr double kMaxRotation = 10.0;   // degrees, squares and diamonds

    bool positionJitter = false;
    bool sizeJitter = false;
    bool colourJitter = false;
    bool blur = false;
    bool noise = false;
    bool rotation = false;
    EdgeMode edges = EdgeMode::AntiAliased;

    static Augmentations none() { return {}; }
    static Augmentations all() { return {true, true, true, true, true, true, EdgeMode::Mixed}; }
};

struct ShapesWorldOptions {
    Split split = Split::Train;
    int minObjects = 1; // 1..3
    int maxObjects = 3;
    Augmentations augment;

    // The trainers' scenes: a split, minObjects..maxObjects objects, every augmentation or none.
    static ShapesWorldOptions of(Split split, int minObjects, int maxObjects, bool augmented = true)
    {
        return {split, minObjects, maxObjects, augmented ? Augmentations::all() : Augmentations::none()};
    }
};

// One object as a caption names it; size and position only when the caption says them.
struct ObjectMention {
    Shape shape = Shape::Circle;
    Colour colour = Colour::Red;
    std::optional<SizeClass> size;
    std::optional<Position> position;
};

struct Caption {
    std::string text; // "two shapes: a red circle and a small blue square"
    std::vector<ObjectMention> mentions;
};

// Whether a caption is true of a scene: its mentions and the objects pair up one to one, each
// mention matching its object's colour, shape and (when said) size and position. For the truth
// matrix of contrastive training: in a batch, several captions may describe one image.
bool describes(const std::vector<ObjectMention> &mentions, const Scene &scene);

enum class QuestionType { Color, Shape, Count, Exists, Where };
const char *questionTypeName(QuestionType); // "color", "shape", "count", "exists", "where"

struct QuestionAnswer {
    QuestionType type = QuestionType::Count;
    std::string question; // "what color is the circle?"
    std::string answer;   // "red"
};

struct ShapesSample {
    Scene scene;
    ml::io::RgbImage image;
    Caption caption;
    // At most one question per type, each only where the spec allows it ("what color is the
    // {shape}?" when that shape occurs once, ...); "is there a {colour} {shape}?" is yes or no
    // with probability 1/2 each.
    std::vector<QuestionAnswer> questions;
};

struct VideoOptions {
    int frames = 48;
    double fps = 12.0;
    int minObjects = 1; // 1..3; the objects of a clip have distinct colours
    int maxObjects = 3;
    Split split = Split::Train;
};

// One object of a clip: visible (whole, inside the canvas) in frames [firstFrame, lastFrame],
// moving in a straight line from `start` to `end`; absent from every other frame.
struct VideoTrack {
    ShapeObject start;         // at firstFrame
    double endX = 0, endY = 0; // box corner at lastFrame
    int firstFrame = 0;
    int lastFrame = 0;
    ShapeObject at(int frame) const; // the object as drawn in `frame` (within the range)
    bool visibleIn(int frame) const { return frame >= firstFrame && frame <= lastFrame; }
    double startS(double fps) const { return firstFrame / fps; }    // shown from
    double endS(double fps) const { return (lastFrame + 1) / fps; } // until (exclusive)
    std::string label() const { return start.label(); }
};

struct ShapesVideo {
    double fps = 12.0;
    std::vector<ml::io::RgbImage> frames; // 64 x 64
    std::vector<VideoTrack> tracks;
};

class ShapesWorld {
public:
    explicit ShapesWorld(std::uint64_t seed, ShapesWorldOptions options = {});

    // Sample `index`: a pure function of (seed, options, index), so loaders may draw samples in
    // any order and from any thread.
    ShapesSample sample(std::uint64_t index) const;
    // A single object of the given colour and shape, whatever the split (the zero-shot set).
    ShapesSample single(std::uint64_t index, Colour colour, Shape shape) const;
    // A clip drawn without augmentations (anti-aliased), so each object's colour is exact.
    ShapesVideo video(std::uint64_t index, const VideoOptions &options = {}) const;

    std::uint64_t seed() const { return m_seed; }
    const ShapesWorldOptions &options() const { return m_options; }

private:
    std::uint64_t m_seed;
    ShapesWorldOptions m_options;
};

// The zero-shot protocol: labels "a {colour} {shape}" for all 24 pairs, colour-major (label =
// colour * 4 + shape); the held-out ones are the four isHeldOut pairs.
std::vector<std::string> zeroShotLabels();
int zeroShotLabel(Colour colour, Shape shape);
Colour zeroShotColour(int label);
Shape zeroShotShape(int label);

struct ZeroShotItem {
    ml::io::RgbImage image;
    int label = 0;
};
// perClass single-object images of each of the 24 pairs, in label order.
std::vector<ZeroShotItem> makeZeroShotSet(std::uint64_t seed, int perClass, const Augmentations &augment = {});

} // namespace ml::train
