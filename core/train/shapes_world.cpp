// Shapes World: scene sampling (exact uniform placement over the free positions), rendering with
// supersampled coverage, captions, questions, the zero-shot set and clips.
// Ref: shared/specs/shapes-world.md
#include "train/shapes_world.h"

#include "common/error.h"
#include "train/random.h"

#include <algorithm>
#include <cmath>

namespace ml::train {

namespace {

constexpr std::array<Shape, kShapeCount> kShapes {Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond};
constexpr std::array<Colour, kColourCount> kColours {
    Colour::Red, Colour::Green, Colour::Blue, Colour::Yellow, Colour::Purple, Colour::White};
constexpr const char *kCountWords[] = {"zero", "one", "two", "three"};

struct Attributes {
    Colour colour;
    Shape shape;
    SizeClass size;
};

template<class T> void shuffle(std::vector<T> &v, Rng &rng)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[rng.below(i)]);
}

Attributes drawPair(Rng &rng, bool heldOutOnly, bool allowHeldOut)
{
    while (true) {
        const Colour colour = kColours[rng.below(kColourCount)];
        const Shape shape = kShapes[rng.below(kShapeCount)];
        const bool held = isHeldOut(colour, shape);
        if ((heldOutOnly && !held) || (!allowHeldOut && held))
            continue;
        return {colour, shape, rng.chance(0.5) ? SizeClass::Large : SizeClass::Small};
    }
}

std::vector<Attributes> drawAttributes(Rng &rng, Split split, int count)
{
    std::vector<Attributes> attrs;
    for (int i = 0; i < count; ++i)
        attrs.push_back(drawPair(rng, split == Split::HeldOut && i == 0, split != Split::Train));
    shuffle(attrs, rng);
    return attrs;
}

// The drawn extent's half-width and half-height about the centre.
void halfExtent(const ShapeObject &o, double &hx, double &hy)
{
    hx = hy = o.side / 2;
    if (o.angleDeg == 0 || (o.shape != Shape::Square && o.shape != Shape::Diamond))
        return;
    double s, c;
    portableSinCos(o.angleDeg * (3.14159265358979323846 / 180.0), s, c);
    s = std::abs(s);
    c = std::abs(c);
    hx = hy = o.shape == Shape::Square ? o.side / 2 * (c + s) : o.side / 2 * std::max(c, s);
}

ShapeObject makeObject(const Attributes &a, Rng &rng, const Augmentations &aug)
{
    ShapeObject o;
    o.shape = a.shape;
    o.colour = a.colour;
    o.size = a.size;
    o.side = sizePixels(a.size);
    if (aug.sizeJitter)
        o.side += rng.uniform(-Augmentations::kSizeJitter, Augmentations::kSizeJitter);
    if (aug.rotation && (a.shape == Shape::Square || a.shape == Shape::Diamond))
        o.angleDeg = rng.uniform(-Augmentations::kMaxRotation, Augmentations::kMaxRotation);
    o.rgb = colourRgb(a.colour);
    if (aug.colourJitter) {
        const auto jitter = [&rng](std::uint8_t v) {
            const int j = rng.uniformInt(-Augmentations::kColourJitter, Augmentations::kColourJitter);
            return static_cast<std::uint8_t>(std::clamp(v + j, 0, 255));
        };
        o.rgb = {jitter(o.rgb.r), jitter(o.rgb.g), jitter(o.rgb.b)};
    }
    return o;
}

// The drawn extent of an object whose box corner is at (x, y), given its half extent.
Box extentAt(const ShapeObject &o, double x, double y, double hx, double hy)
{
    const double cx = x + o.side / 2, cy = y + o.side / 2;
    return {cx - hx, cy - hy, cx + hx, cy + hy};
}

bool fits(const Box &b, const std::vector<Box> &placed)
{
    if (!b.insideCanvas())
        return false;
    for (const Box &p : placed)
        if (b.gapTo(p) < kMinGap)
            return false;
    return true;
}

// Each object at a position drawn uniformly among the integer corners where it fits (inside the
// canvas, >= 2 px from the objects placed before), then jittered when asked. nullopt: no room.
std::optional<std::vector<ShapeObject>> place(std::vector<ShapeObject> objects, Rng &rng, const Augmentations &aug)
{
    std::vector<Box> placed;
    std::vector<std::pair<int, int>> free;
    for (ShapeObject &o : objects) {
        double hx, hy;
        halfExtent(o, hx, hy);
        // Corner x such that the extent [x + s/2 - hx, x + s/2 + hx] lies in [0, 64].
        const int xLo = static_cast<int>(std::ceil(hx - o.side / 2));
        const int xHi = static_cast<int>(std::floor(kCanvasSize - hx - o.side / 2));
        const int yLo = static_cast<int>(std::ceil(hy - o.side / 2));
        const int yHi = static_cast<int>(std::floor(kCanvasSize - hy - o.side / 2));
        free.clear();
        for (int y = yLo; y <= yHi; ++y)
            for (int x = xLo; x <= xHi; ++x)
                if (fits(extentAt(o, x, y, hx, hy), placed))
                    free.emplace_back(x, y);
        if (free.empty())
            return std::nullopt;
        const auto [x, y] = free[rng.below(free.size())];
        o.x = x;
        o.y = y;
        if (aug.positionJitter) {
            const double jx = x + rng.uniform(-Augmentations::kPositionJitter, Augmentations::kPositionJitter);
            const double jy = y + rng.uniform(-Augmentations::kPositionJitter, Augmentations::kPositionJitter);
            if (fits(extentAt(o, jx, jy, hx, hy), placed)) {
                o.x = jx;
                o.y = jy;
            }
        }
        placed.push_back(extentAt(o, o.x, o.y, hx, hy));
    }
    return objects;
}

std::vector<ShapeObject> layout(const std::vector<Attributes> &attrs, Rng &rng, const Augmentations &aug)
{
    while (true) {
        std::vector<ShapeObject> objects;
        for (const Attributes &a : attrs)
            objects.push_back(makeObject(a, rng, aug));
        if (auto placed = place(std::move(objects), rng, aug))
            return *placed;
    }
}

RenderStyle drawStyle(Rng &rng, const Augmentations &aug)
{
    RenderStyle style;
    style.antiAliased = aug.edges == EdgeMode::AntiAliased || (aug.edges == EdgeMode::Mixed && rng.chance(0.5));
    if (aug.blur)
        style.blurSigma = rng.uniform(0.0, Augmentations::kMaxBlurSigma);
    if (aug.noise)
        style.noiseSigma = rng.uniform(0.0, Augmentations::kMaxNoiseSigma);
    style.noiseSeed = rng.nextU64();
    return style;
}

// --- rendering ---------------------------------------------------------------------------

// Signed distance (< 0 inside) of a filled disk or convex polygon; exact inside, a lower bound
// of the distance outside, which is all the coverage fast path needs.
class Region {
public:
    explicit Region(const ShapeObject &o)
    {
        const double cx = o.cx(), cy = o.cy(), h = o.side / 2;
        if (o.shape == Shape::Circle) {
            m_circle = true;
            m_cx = cx;
            m_cy = cy;
            m_r = h;
            return;
        }
        std::vector<std::pair<double, double>> v; // about the centre, before rotation
        if (o.shape == Shape::Square)
            v = {{-h, -h}, {h, -h}, {h, h}, {-h, h}};
        else if (o.shape == Shape::Diamond)
            v = {{0, -h}, {h, 0}, {0, h}, {-h, 0}};
        else // base on the bottom edge, apex at the top centre
            v = {{0, -h}, {h, h}, {-h, h}};
        double s = 0, c = 1;
        if (o.angleDeg != 0)
            portableSinCos(o.angleDeg * (3.14159265358979323846 / 180.0), s, c);
        for (auto &[x, y] : v) {
            const double rx = x * c - y * s, ry = x * s + y * c;
            x = cx + rx;
            y = cy + ry;
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            const auto [ax, ay] = v[i];
            const auto [bx, by] = v[(i + 1) % v.size()];
            double nx = by - ay, ny = ax - bx;
            const double len = std::sqrt(nx * nx + ny * ny);
            nx /= len;
            ny /= len;
            double offset = nx * ax + ny * ay;
            if (nx * cx + ny * cy - offset > 0) { // make the normal point outwards
                nx = -nx;
                ny = -ny;
                offset = -offset;
            }
            m_edges.push_back({nx, ny, offset});
        }
    }

    double distance(double px, double py) const
    {
        if (m_circle)
            return std::sqrt((px - m_cx) * (px - m_cx) + (py - m_cy) * (py - m_cy)) - m_r;
        double d = -1e30;
        for (const Edge &e : m_edges)
            d = std::max(d, e.nx * px + e.ny * py - e.offset);
        return d;
    }

    bool contains(double px, double py) const
    {
        if (m_circle)
            return (px - m_cx) * (px - m_cx) + (py - m_cy) * (py - m_cy) <= m_r * m_r;
        for (const Edge &e : m_edges)
            if (e.nx * px + e.ny * py - e.offset > 0)
                return false;
        return true;
    }

    // Fraction of pixel (ix, iy) covered: 16 samples, skipped where the pixel is wholly in or out.
    // The samples solve the 16-queens problem: one per row, column and diagonal, so that an edge
    // at 0 or 45 degrees through pixel corners (squares, diamonds) meets at most one of them.
    double coverage(int ix, int iy, bool antiAliased) const
    {
        const double d = distance(ix + 0.5, iy + 0.5);
        if (!antiAliased)
            return d <= 0 ? 1.0 : 0.0;
        constexpr double kHalfDiagonal = 0.7072;
        if (d <= -kHalfDiagonal)
            return 1.0;
        if (d >= kHalfDiagonal)
            return 0.0;
        int hits = 0;
        for (int k = 0; k < 16; ++k) {
            const int column = k < 8 ? 2 * k + 1 : 2 * (k - 8);
            hits += contains(ix + (k + 0.5) / 16, iy + (column + 0.5) / 16);
        }
        return hits / 16.0;
    }

private:
    struct Edge {
        double nx, ny, offset;
    };
    bool m_circle = false;
    double m_cx = 0, m_cy = 0, m_r = 0;
    std::vector<Edge> m_edges;
};

void gaussianBlur(std::vector<float> &buf, double sigma)
{
    constexpr int kRadius = 2; // ceil(3 * 0.6)
    float w[kRadius + 1];
    double sum = 0;
    for (int k = 0; k <= kRadius; ++k) {
        w[k] = static_cast<float>(portableExp(-(k * k) / (2 * sigma * sigma)));
        sum += k ? 2 * w[k] : w[k];
    }
    for (float &x : w)
        x = static_cast<float>(x / sum);
    constexpr int n = kCanvasSize;
    std::vector<float> tmp(buf.size());
    const auto at = [](int i) { return std::clamp(i, 0, n - 1); };
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
            for (int c = 0; c < 3; ++c) {
                float acc = w[0] * buf[(y * n + x) * 3 + c];
                for (int k = 1; k <= kRadius; ++k)
                    acc += w[k] * (buf[(y * n + at(x - k)) * 3 + c] + buf[(y * n + at(x + k)) * 3 + c]);
                tmp[(y * n + x) * 3 + c] = acc;
            }
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
            for (int c = 0; c < 3; ++c) {
                float acc = w[0] * tmp[(y * n + x) * 3 + c];
                for (int k = 1; k <= kRadius; ++k)
                    acc += w[k] * (tmp[(at(y - k) * n + x) * 3 + c] + tmp[(at(y + k) * n + x) * 3 + c]);
                buf[(y * n + x) * 3 + c] = acc;
            }
}

// --- captions and questions ----------------------------------------------------------------

std::string colourShape(const ShapeObject &o)
{
    return std::string(colourName(o.colour)) + " " + shapeName(o.shape);
}

Caption makeCaption(const std::vector<ShapeObject> &objects, Rng &rng)
{
    Caption caption;
    if (objects.size() == 1) {
        const ShapeObject &o = objects.front();
        ObjectMention m {o.shape, o.colour, std::nullopt, std::nullopt};
        switch (rng.below(4)) {
        case 0:
            caption.text = std::string("a ") + sizeName(o.size) + " " + colourShape(o);
            m.size = o.size;
            break;
        case 1:
            caption.text = "a " + colourShape(o);
            break;
        case 2:
            caption.text = "a " + colourShape(o) + " " + positionPhrase(o.position());
            m.position = o.position();
            break;
        default:
            caption.text = "a photo of a " + colourShape(o);
            break;
        }
        caption.mentions.push_back(m);
        return caption;
    }
    if (rng.chance(0.5))
        caption.text = std::string(kCountWords[objects.size()]) + " shapes: ";
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const ShapeObject &o = objects[i];
        ObjectMention m {o.shape, o.colour, std::nullopt, std::nullopt};
        std::string phrase;
        switch (rng.below(3)) {
        case 0:
            phrase = std::string("a ") + sizeName(o.size) + " " + colourShape(o);
            m.size = o.size;
            break;
        case 1:
            phrase = "a " + colourShape(o);
            break;
        default:
            phrase = "a " + colourShape(o) + " " + positionPhrase(o.position());
            m.position = o.position();
            break;
        }
        caption.text += (i ? " and " : "") + phrase;
        caption.mentions.push_back(m);
    }
    return caption;
}

std::vector<QuestionAnswer> makeQuestions(const std::vector<ShapeObject> &objects, Split split, Rng &rng)
{
    std::vector<QuestionAnswer> qa;
    const auto countOf = [&objects](auto pred) { return std::count_if(objects.begin(), objects.end(), pred); };

    std::vector<const ShapeObject *> uniqueShape, uniqueColour;
    for (const ShapeObject &o : objects) {
        if (countOf([&o](const ShapeObject &p) { return p.shape == o.shape; }) == 1)
            uniqueShape.push_back(&o);
        if (countOf([&o](const ShapeObject &p) { return p.colour == o.colour; }) == 1)
            uniqueColour.push_back(&o);
    }
    if (!uniqueShape.empty()) {
        const ShapeObject &o = *uniqueShape[rng.below(uniqueShape.size())];
        qa.push_back(
            {QuestionType::Color, std::string("what color is the ") + shapeName(o.shape) + "?", colourName(o.colour)});
    }
    if (!uniqueColour.empty()) {
        const ShapeObject &o = *uniqueColour[rng.below(uniqueColour.size())];
        qa.push_back({QuestionType::Shape, std::string("what shape is the ") + colourName(o.colour) + " object?",
            shapeName(o.shape)});
    }
    qa.push_back({QuestionType::Count, "how many shapes are there?", kCountWords[objects.size()]});

    const auto present = [&objects](Colour c, Shape s) {
        return std::any_of(
            objects.begin(), objects.end(), [&](const ShapeObject &o) { return o.colour == c && o.shape == s; });
    };
    std::vector<std::pair<Colour, Shape>> absent;
    for (Colour c : kColours)
        for (Shape s : kShapes)
            if (!present(c, s) && !(split == Split::Train && isHeldOut(c, s)))
                absent.emplace_back(c, s);
    const bool yes = rng.chance(0.5);
    std::pair<Colour, Shape> asked;
    if (yes) {
        const ShapeObject &o = objects[rng.below(objects.size())];
        asked = {o.colour, o.shape};
    } else {
        asked = absent[rng.below(absent.size())];
    }
    const auto [c, shape] = asked;
    qa.push_back({QuestionType::Exists, std::string("is there a ") + colourName(c) + " " + shapeName(shape) + "?",
        yes ? "yes" : "no"});

    if (objects.size() == 1)
        qa.push_back({QuestionType::Where, std::string("where is the ") + shapeName(objects[0].shape) + "?",
            positionName(objects[0].position())});
    return qa;
}

ShapesSample makeSample(std::vector<ShapeObject> objects, const RenderStyle &style, Split split, Rng &rng)
{
    ShapesSample sample;
    sample.scene.objects = std::move(objects);
    sample.scene.style = style;
    sample.image = renderScene(sample.scene);
    sample.caption = makeCaption(sample.scene.objects, rng);
    sample.questions = makeQuestions(sample.scene.objects, split, rng);
    return sample;
}

bool mentionMatches(const ObjectMention &m, const ShapeObject &o)
{
    return m.shape == o.shape && m.colour == o.colour && (!m.size || *m.size == o.size)
        && (!m.position || *m.position == o.position());
}

} // namespace

const char *shapeName(Shape shape)
{
    switch (shape) {
    case Shape::Circle:
        return "circle";
    case Shape::Square:
        return "square";
    case Shape::Triangle:
        return "triangle";
    case Shape::Diamond:
        return "diamond";
    }
    return "?";
}

const char *colourName(Colour colour)
{
    switch (colour) {
    case Colour::Red:
        return "red";
    case Colour::Green:
        return "green";
    case Colour::Blue:
        return "blue";
    case Colour::Yellow:
        return "yellow";
    case Colour::Purple:
        return "purple";
    case Colour::White:
        return "white";
    }
    return "?";
}

const char *sizeName(SizeClass size)
{
    return size == SizeClass::Small ? "small" : "large";
}

const char *positionName(Position position)
{
    switch (position) {
    case Position::Left:
        return "left";
    case Position::Right:
        return "right";
    case Position::Top:
        return "top";
    case Position::Bottom:
        return "bottom";
    case Position::Center:
        return "center";
    }
    return "?";
}

std::string positionPhrase(Position position)
{
    return position == Position::Center ? "in the center" : std::string("on the ") + positionName(position);
}

Rgb colourRgb(Colour colour)
{
    switch (colour) {
    case Colour::Red:
        return {230, 40, 40};
    case Colour::Green:
        return {40, 200, 60};
    case Colour::Blue:
        return {50, 90, 230};
    case Colour::Yellow:
        return {240, 220, 40};
    case Colour::Purple:
        return {160, 60, 200};
    case Colour::White:
        return {240, 240, 240};
    }
    return {};
}

int sizePixels(SizeClass size)
{
    return size == SizeClass::Small ? 12 : 24;
}

bool isHeldOut(Colour colour, Shape shape)
{
    return (colour == Colour::Green && shape == Shape::Triangle) || (colour == Colour::Purple && shape == Shape::Circle)
        || (colour == Colour::Yellow && shape == Shape::Diamond) || (colour == Colour::White && shape == Shape::Square);
}

Position positionOf(double cx, double cy)
{
    // Thirds of the 64-px canvas, compared as 3c < 64 so that no rounded 21.33 enters.
    if (3 * cx < kCanvasSize)
        return Position::Left;
    if (3 * cx > 2 * kCanvasSize)
        return Position::Right;
    if (3 * cy < kCanvasSize)
        return Position::Top;
    if (3 * cy > 2 * kCanvasSize)
        return Position::Bottom;
    return Position::Center;
}

double Box::gapTo(const Box &o) const
{
    return std::max({o.x0 - x1, x0 - o.x1, o.y0 - y1, y0 - o.y1});
}

Box ShapeObject::bounds() const
{
    double hx, hy;
    halfExtent(*this, hx, hy);
    return {cx() - hx, cy() - hy, cx() + hx, cy() + hy};
}

std::string ShapeObject::label() const
{
    return "a " + colourShape(*this);
}

ml::io::RgbImage renderScene(const Scene &scene)
{
    constexpr int n = kCanvasSize;
    std::vector<float> buf(static_cast<std::size_t>(n) * n * 3);
    for (std::size_t i = 0; i < buf.size(); i += 3) {
        buf[i] = kBackground.r;
        buf[i + 1] = kBackground.g;
        buf[i + 2] = kBackground.b;
    }
    for (const ShapeObject &o : scene.objects) {
        const Region region(o);
        const Box b = o.bounds();
        const int x0 = std::max(0, static_cast<int>(std::floor(b.x0))),
                  x1 = std::min(n, static_cast<int>(std::ceil(b.x1)));
        const int y0 = std::max(0, static_cast<int>(std::floor(b.y0))),
                  y1 = std::min(n, static_cast<int>(std::ceil(b.y1)));
        const float col[3] = {static_cast<float>(o.rgb.r), static_cast<float>(o.rgb.g), static_cast<float>(o.rgb.b)};
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
                const float cov = static_cast<float>(region.coverage(x, y, scene.style.antiAliased));
                if (cov <= 0)
                    continue;
                float *px = &buf[(static_cast<std::size_t>(y) * n + x) * 3];
                for (int c = 0; c < 3; ++c)
                    px[c] = cov >= 1 ? col[c] : px[c] * (1 - cov) + col[c] * cov;
            }
    }
    if (scene.style.blurSigma >= 0.2) // below, the neighbours' weight is < 4e-6: no visible change
        gaussianBlur(buf, scene.style.blurSigma);
    if (scene.style.noiseSigma > 0) {
        Rng rng(scene.style.noiseSeed);
        const float sigma = static_cast<float>(scene.style.noiseSigma);
        for (float &v : buf)
            v += sigma * static_cast<float>(rng.normal());
    }
    ml::io::RgbImage image;
    image.width = image.height = n;
    image.pixels.resize(buf.size());
    for (std::size_t i = 0; i < buf.size(); ++i)
        image.pixels[i] = static_cast<std::uint8_t>(std::clamp(buf[i], 0.0f, 255.0f) + 0.5f);
    return image;
}

bool describes(const std::vector<ObjectMention> &mentions, const Scene &scene)
{
    const std::size_t n = scene.objects.size();
    if (mentions.size() != n)
        return false;
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i)
        order[i] = i;
    do {
        bool all = true;
        for (std::size_t i = 0; i < n && all; ++i)
            all = mentionMatches(mentions[i], scene.objects[order[i]]);
        if (all)
            return true;
    } while (std::next_permutation(order.begin(), order.end()));
    return false;
}

const char *questionTypeName(QuestionType type)
{
    switch (type) {
    case QuestionType::Color:
        return "color";
    case QuestionType::Shape:
        return "shape";
    case QuestionType::Count:
        return "count";
    case QuestionType::Exists:
        return "exists";
    case QuestionType::Where:
        return "where";
    }
    return "?";
}

ShapeObject VideoTrack::at(int frame) const
{
    ShapeObject o = start;
    if (lastFrame > firstFrame) {
        const double t
            = static_cast<double>(std::clamp(frame, firstFrame, lastFrame) - firstFrame) / (lastFrame - firstFrame);
        o.x = start.x + t * (endX - start.x);
        o.y = start.y + t * (endY - start.y);
    }
    return o;
}

ShapesWorld::ShapesWorld(std::uint64_t seed, ShapesWorldOptions options) : m_seed(seed), m_options(options)
{
    if (m_options.minObjects < 1 || m_options.maxObjects > 3 || m_options.minObjects > m_options.maxObjects)
        throw Error("Shapes World: objects per image must lie in 1..3, got " + std::to_string(m_options.minObjects)
            + ".." + std::to_string(m_options.maxObjects));
}

ShapesSample ShapesWorld::sample(std::uint64_t index) const
{
    Rng rng(Rng::streamSeed(m_seed, index));
    const int count = rng.uniformInt(m_options.minObjects, m_options.maxObjects);
    const std::vector<Attributes> attrs = drawAttributes(rng, m_options.split, count);
    std::vector<ShapeObject> objects = layout(attrs, rng, m_options.augment);
    const RenderStyle style = drawStyle(rng, m_options.augment);
    return makeSample(std::move(objects), style, m_options.split, rng);
}

ShapesSample ShapesWorld::single(std::uint64_t index, Colour colour, Shape shape) const
{
    Rng rng(Rng::streamSeed(m_seed ^ 0x5a5a5a5a00000000ull, index * 32 + zeroShotLabel(colour, shape)));
    const Attributes a {colour, shape, rng.chance(0.5) ? SizeClass::Large : SizeClass::Small};
    std::vector<ShapeObject> objects = layout({a}, rng, m_options.augment);
    const RenderStyle style = drawStyle(rng, m_options.augment);
    return makeSample(std::move(objects), style, Split::Any, rng);
}

ShapesVideo ShapesWorld::video(std::uint64_t index, const VideoOptions &options) const
{
    if (options.frames < 2 || options.fps <= 0 || options.minObjects < 1 || options.maxObjects > 3
        || options.minObjects > options.maxObjects)
        throw Error("Shapes World: a clip needs >= 2 frames, fps > 0 and 1..3 objects");
    Rng rng(Rng::streamSeed(m_seed ^ 0xa5a5a5a500000000ull, index));
    const int frames = options.frames;
    const int count = rng.uniformInt(options.minObjects, options.maxObjects);

    // Distinct colours, so that "the red circle" names one track; HeldOut: track 0 a held-out pair.
    std::vector<Colour> colours(kColours.begin(), kColours.end());
    shuffle(colours, rng);
    std::vector<Attributes> attrs;
    if (options.split == Split::HeldOut) {
        const Attributes held = drawPair(rng, true, true);
        colours.erase(std::find(colours.begin(), colours.end(), held.colour));
        attrs.push_back(held);
    }
    for (std::size_t i = 0; attrs.size() < static_cast<std::size_t>(count); ++i) {
        const Colour colour = colours[i];
        Shape shape;
        do
            shape = kShapes[rng.below(kShapeCount)];
        while (options.split == Split::Train && isHeldOut(colour, shape));
        attrs.push_back({colour, shape, rng.chance(0.5) ? SizeClass::Large : SizeClass::Small});
    }

    ShapesVideo video;
    video.fps = options.fps;
    while (video.tracks.empty()) {
        std::vector<VideoTrack> tracks;
        for (const Attributes &a : attrs) {
            bool placed = false;
            for (int attempt = 0; attempt < 200 && !placed; ++attempt) {
                VideoTrack t;
                t.start = makeObject(a, rng, Augmentations::none());
                t.firstFrame = rng.uniformInt(0, frames / 2);
                t.lastFrame = rng.uniformInt(std::min(t.firstFrame + frames / 4, frames - 1), frames - 1);
                const int maxCorner = kCanvasSize - static_cast<int>(t.start.side);
                t.start.x = rng.uniformInt(0, maxCorner);
                t.start.y = rng.uniformInt(0, maxCorner);
                t.endX = std::clamp(t.start.x + rng.uniformInt(-32, 32), 0.0, static_cast<double>(maxCorner));
                t.endY = std::clamp(t.start.y + rng.uniformInt(-32, 32), 0.0, static_cast<double>(maxCorner));
                placed = true;
                for (int f = t.firstFrame; f <= t.lastFrame && placed; ++f)
                    for (const VideoTrack &other : tracks)
                        if (other.visibleIn(f) && t.at(f).bounds().gapTo(other.at(f).bounds()) < kMinGap) {
                            placed = false;
                            break;
                        }
                if (placed)
                    tracks.push_back(t);
            }
            if (!placed)
                break;
        }
        if (tracks.size() == attrs.size())
            video.tracks = std::move(tracks);
    }
    for (int f = 0; f < frames; ++f) {
        Scene scene;
        for (const VideoTrack &t : video.tracks)
            if (t.visibleIn(f))
                scene.objects.push_back(t.at(f));
        video.frames.push_back(renderScene(scene));
    }
    return video;
}

std::vector<std::string> zeroShotLabels()
{
    std::vector<std::string> labels;
    for (Colour c : kColours)
        for (Shape s : kShapes)
            labels.push_back(std::string("a ") + colourName(c) + " " + shapeName(s));
    return labels;
}

int zeroShotLabel(Colour colour, Shape shape)
{
    return static_cast<int>(colour) * kShapeCount + static_cast<int>(shape);
}
Colour zeroShotColour(int label)
{
    return kColours.at(static_cast<std::size_t>(label / kShapeCount));
}
Shape zeroShotShape(int label)
{
    return kShapes.at(static_cast<std::size_t>(label % kShapeCount));
}

std::vector<ZeroShotItem> makeZeroShotSet(std::uint64_t seed, int perClass, const Augmentations &augment)
{
    ShapesWorldOptions options;
    options.split = Split::Any;
    options.minObjects = options.maxObjects = 1;
    options.augment = augment;
    const ShapesWorld world(seed, options);
    std::vector<ZeroShotItem> items;
    for (int label = 0; label < kShapeCount * kColourCount; ++label)
        for (int i = 0; i < perClass; ++i)
            items.push_back(
                {world.single(static_cast<std::uint64_t>(i), zeroShotColour(label), zeroShotShape(label)).image,
                    label});
    return items;
}

} // namespace ml::train
