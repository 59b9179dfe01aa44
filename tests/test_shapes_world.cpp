// Shapes World: reproducibility, the held-out split, layout rules, caption and question formats,
// rendered colours, the zero-shot set, clips and their ground truth, and the writers.
#include "common/error.h"
#include "train/folder_dataset.h"
#include "train/image_tensor.h"
#include "train/shapes_world.h"
#include "train/shapes_world_io.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media_encode.h"
#endif

#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace ml::train;
namespace fs = std::filesystem;

namespace {

const QString kColour = "(red|green|blue|yellow|purple|white)";
const QString kShapeWord = "(circle|square|triangle|diamond)";
const QString kWhere = "(on the (left|right|top|bottom)|in the center)";

QRegularExpression exact(const QString &pattern)
{
    return QRegularExpression("^" + pattern + "$");
}

std::uint64_t fnv1a(const std::vector<std::uint8_t> &bytes, std::uint64_t h = 1469598103934665603ull)
{
    for (std::uint8_t b : bytes)
        h = (h ^ b) * 1099511628211ull;
    return h;
}

std::uint64_t fnv1a(const std::string &text, std::uint64_t h)
{
    return fnv1a(std::vector<std::uint8_t>(text.begin(), text.end()), h);
}

bool hasColour(const ml::io::RgbImage &image, Rgb c)
{
    for (std::size_t i = 0; i < image.pixels.size(); i += 3)
        if (image.pixels[i] == c.r && image.pixels[i + 1] == c.g && image.pixels[i + 2] == c.b)
            return true;
    return false;
}

Rgb pixel(const ml::io::RgbImage &image, int x, int y)
{
    const std::uint8_t *p = image.row(y) + 3 * x;
    return {p[0], p[1], p[2]};
}

ShapesWorldOptions withAugment(Split split, Augmentations aug)
{
    ShapesWorldOptions options;
    options.split = split;
    options.augment = aug;
    return options;
}

std::string heldOutPhrase(const std::string &text)
{
    for (const char *p : {"green triangle", "purple circle", "yellow diamond", "white square"})
        if (text.find(p) != std::string::npos)
            return p;
    return {};
}

} // namespace

class TestShapesWorld : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    fs::path path(const QString &name) const { return fs::path(m_tmp.filePath(name).toStdString()); }

private Q_SLOTS:
    void specTables()
    {
        QCOMPARE(colourRgb(Colour::Red), (Rgb {230, 40, 40}));
        QCOMPARE(colourRgb(Colour::Green), (Rgb {40, 200, 60}));
        QCOMPARE(colourRgb(Colour::Blue), (Rgb {50, 90, 230}));
        QCOMPARE(colourRgb(Colour::Yellow), (Rgb {240, 220, 40}));
        QCOMPARE(colourRgb(Colour::Purple), (Rgb {160, 60, 200}));
        QCOMPARE(colourRgb(Colour::White), (Rgb {240, 240, 240}));
        QCOMPARE(sizePixels(SizeClass::Small), 12);
        QCOMPARE(sizePixels(SizeClass::Large), 24);
        int held = 0;
        for (int c = 0; c < kColourCount; ++c)
            for (int s = 0; s < kShapeCount; ++s)
                held += isHeldOut(Colour(c), Shape(s));
        QCOMPARE(held, 4);
        QVERIFY(isHeldOut(Colour::Green, Shape::Triangle));
        QVERIFY(isHeldOut(Colour::Purple, Shape::Circle));
        QVERIFY(isHeldOut(Colour::Yellow, Shape::Diamond));
        QVERIFY(isHeldOut(Colour::White, Shape::Square));
    }

    void positionRule_data()
    {
        QTest::addColumn<double>("cx");
        QTest::addColumn<double>("cy");
        QTest::addColumn<QString>("word");
        QTest::newRow("left") << 10.0 << 32.0 << "left";
        QTest::newRow("right") << 50.0 << 32.0 << "right";
        QTest::newRow("top") << 32.0 << 10.0 << "top";
        QTest::newRow("bottom") << 32.0 << 50.0 << "bottom";
        QTest::newRow("center") << 32.0 << 32.0 << "center";
        QTest::newRow("top-left: horizontal wins") << 10.0 << 10.0 << "left";
        QTest::newRow("bottom-right: horizontal wins") << 50.0 << 60.0 << "right";
        QTest::newRow("21.33 is left") << 21.33 << 32.0 << "left";
        QTest::newRow("21.34 is middle") << 21.34 << 32.0 << "center";
        QTest::newRow("42.66 is middle") << 42.66 << 32.0 << "center";
        QTest::newRow("42.67 is right") << 42.67 << 32.0 << "right";
        QTest::newRow("cy 42.67 is bottom") << 32.0 << 42.67 << "bottom";
    }

    void positionRule()
    {
        QFETCH(double, cx);
        QFETCH(double, cy);
        QFETCH(QString, word);
        QCOMPARE(QString(positionName(positionOf(cx, cy))), word);
        QCOMPARE(positionPhrase(Position::Left), std::string("on the left"));
        QCOMPARE(positionPhrase(Position::Center), std::string("in the center"));
    }

    void deterministic()
    {
        const ShapesWorld a(42, withAugment(Split::Train, Augmentations::all()));
        const ShapesWorld b(42, withAugment(Split::Train, Augmentations::all()));
        const ShapesWorld c(43, withAugment(Split::Train, Augmentations::all()));
        int differ = 0;
        for (std::uint64_t i = 0; i < 64; ++i) {
            const ShapesSample sa = a.sample(i), sb = b.sample(i), sc = c.sample(i);
            QVERIFY(sa.image.pixels == sb.image.pixels);
            QCOMPARE(sa.caption.text, sb.caption.text);
            QCOMPARE(sa.questions.size(), sb.questions.size());
            for (std::size_t q = 0; q < sa.questions.size(); ++q) {
                QCOMPARE(sa.questions[q].question, sb.questions[q].question);
                QCOMPARE(sa.questions[q].answer, sb.questions[q].answer);
            }
            differ += sa.image.pixels != sc.image.pixels;
        }
        QCOMPARE(differ, 64);
        // Any order, any thread: sample i does not depend on the samples drawn before.
        QVERIFY(a.sample(5).image.pixels == ShapesWorld(42, a.options()).sample(5).image.pixels);
        const ShapesVideo va = a.video(3), vb = b.video(3);
        QCOMPARE(va.frames.size(), vb.frames.size());
        for (std::size_t f = 0; f < va.frames.size(); ++f)
            QVERIFY(va.frames[f].pixels == vb.frames[f].pixels);
    }

    // The bytes of the first samples: unchanged across machines and compilers (no libm
    // transcendentals, no std distributions). Update only when the generator changes on purpose.
    void goldenHash()
    {
        const ShapesWorld world(7, withAugment(Split::Train, Augmentations::all()));
        std::uint64_t h = 1469598103934665603ull;
        for (std::uint64_t i = 0; i < 16; ++i) {
            const ShapesSample s = world.sample(i);
            h = fnv1a(s.image.pixels, h);
            h = fnv1a(s.caption.text, h);
            for (const QuestionAnswer &qa : s.questions)
                h = fnv1a(qa.question + "=" + qa.answer, h);
        }
        qInfo("golden hash: 0x%016llx", static_cast<unsigned long long>(h));
        QCOMPARE(h, 0x613545e51bdc034dull);
    }

    void trainSplitNeverShowsHeldOutPairs()
    {
        const ShapesWorld world(1, withAugment(Split::Train, Augmentations::all()));
        for (std::uint64_t i = 0; i < 5000; ++i) {
            const ShapesSample s = world.sample(i);
            for (const ShapeObject &o : s.scene.objects)
                QVERIFY2(
                    !isHeldOut(o.colour, o.shape), qPrintable(QString("sample %1: %2").arg(i).arg(o.label().c_str())));
            QVERIFY2(heldOutPhrase(s.caption.text).empty(), s.caption.text.c_str());
            for (const QuestionAnswer &qa : s.questions) {
                QVERIFY2(heldOutPhrase(qa.question).empty(), qa.question.c_str());
                if (qa.type == QuestionType::Shape) // "what shape is the green object?" -> "triangle"
                    QVERIFY(heldOutPhrase(qa.question.substr(18, qa.question.find(' ', 18) - 18) + " " + qa.answer)
                                .empty());
                if (qa.type == QuestionType::Color) // "what color is the triangle?" -> "green"
                    QVERIFY(heldOutPhrase(qa.answer + " " + qa.question.substr(18, qa.question.size() - 19)).empty());
            }
        }
    }

    void heldOutAndAnySplits()
    {
        const ShapesWorld held(1, withAugment(Split::HeldOut, {}));
        const ShapesWorld any(1, withAugment(Split::Any, {}));
        std::set<int> anyPairs;
        for (std::uint64_t i = 0; i < 500; ++i) {
            const ShapesSample s = held.sample(i);
            QVERIFY(std::any_of(s.scene.objects.begin(), s.scene.objects.end(),
                [](const ShapeObject &o) { return isHeldOut(o.colour, o.shape); }));
            for (const ShapeObject &o : any.sample(i).scene.objects)
                anyPairs.insert(zeroShotLabel(o.colour, o.shape));
        }
        QCOMPARE(anyPairs.size(), std::size_t(24));
    }

    void layoutRules()
    {
        const ShapesWorld world(2, withAugment(Split::Any, Augmentations::all()));
        std::array<int, 4> counts {};
        double minSide = 100, maxSide = 0, maxAngle = 0;
        for (std::uint64_t i = 0; i < 5000; ++i) {
            const ShapesSample s = world.sample(i);
            const auto &objects = s.scene.objects;
            QVERIFY(objects.size() >= 1 && objects.size() <= 3);
            ++counts[objects.size()];
            for (std::size_t a = 0; a < objects.size(); ++a) {
                const Box b = objects[a].bounds();
                QVERIFY2(b.insideCanvas(), qPrintable(QString("sample %1 object %2 outside").arg(i).arg(a)));
                for (std::size_t c = a + 1; c < objects.size(); ++c)
                    QVERIFY2(b.gapTo(objects[c].bounds()) >= 2.0, qPrintable(QString("sample %1: gap").arg(i)));
                const ShapeObject &o = objects[a];
                const double s0 = sizePixels(o.size);
                minSide = std::min(minSide, o.side - s0);
                maxSide = std::max(maxSide, o.side - s0);
                maxAngle = std::max(maxAngle, std::abs(o.angleDeg));
                if (o.shape == Shape::Circle || o.shape == Shape::Triangle)
                    QCOMPARE(o.angleDeg, 0.0);
                const Rgb spec = colourRgb(o.colour);
                QVERIFY(std::abs(o.rgb.r - spec.r) <= 15 && std::abs(o.rgb.g - spec.g) <= 15
                    && std::abs(o.rgb.b - spec.b) <= 15);
            }
            QVERIFY(s.scene.style.blurSigma <= 0.6 && s.scene.style.noiseSigma <= 6.0);
        }
        QVERIFY(counts[1] > 1400 && counts[2] > 1400 && counts[3] > 1400);
        QVERIFY(minSide >= -2.0 && minSide < -1.9 && maxSide <= 2.0 && maxSide > 1.9);
        QVERIFY(maxAngle <= 10.0 && maxAngle > 9.9);
    }

    void captionsAndQuestions()
    {
        const QString object = "a ((small|large) " + kColour + " " + kShapeWord + "|" + kColour + " " + kShapeWord
            + "( " + kWhere + ")?)";
        const QRegularExpression single = exact("a ((small|large) )?" + kColour + " " + kShapeWord + "( " + kWhere
            + ")?|a photo of a " + kColour + " " + kShapeWord);
        const QRegularExpression multi = exact("((two|three) shapes: )?" + object + "( and " + object + "){1,2}");
        const std::map<QuestionType, QRegularExpression> questionFormats {
            {QuestionType::Color, exact("what color is the " + kShapeWord + "\\?")},
            {QuestionType::Shape, exact("what shape is the " + kColour + " object\\?")},
            {QuestionType::Count, exact("how many shapes are there\\?")},
            {QuestionType::Exists, exact("is there a " + kColour + " " + kShapeWord + "\\?")},
            {QuestionType::Where, exact("where is the " + kShapeWord + "\\?")},
        };
        const std::map<QuestionType, QRegularExpression> answerFormats {
            {QuestionType::Color, exact(kColour)},
            {QuestionType::Shape, exact(kShapeWord)},
            {QuestionType::Count, exact("one|two|three")},
            {QuestionType::Exists, exact("yes|no")},
            {QuestionType::Where, exact("left|right|top|bottom|center")},
        };
        const ShapesWorld world(3, withAugment(Split::Train, Augmentations::all()));
        std::set<std::string> forms;
        int yes = 0, exists = 0;
        for (std::uint64_t i = 0; i < 5000; ++i) {
            const ShapesSample s = world.sample(i);
            const auto &objects = s.scene.objects;
            const QString caption = QString::fromStdString(s.caption.text);
            QVERIFY2((objects.size() == 1 ? single : multi).match(caption).hasMatch(), qPrintable(caption));
            QVERIFY2(describes(s.caption.mentions, s.scene), qPrintable(caption));
            if (objects.size() == 1) {
                const ShapeObject &o = objects[0];
                if (caption.startsWith("a photo of")) {
                    forms.insert("photo");
                } else if (caption.contains(" on the ") || caption.contains(" in the center")) {
                    forms.insert("position");
                    QVERIFY2(
                        caption.endsWith(QString::fromStdString(positionPhrase(o.position()))), qPrintable(caption));
                } else if (caption.contains("small") || caption.contains("large")) {
                    forms.insert("size");
                    QVERIFY(caption.contains(sizeName(o.size)));
                } else {
                    forms.insert("plain");
                }
            } else {
                const QString count = objects.size() == 2 ? "two shapes: " : "three shapes: ";
                if (caption.contains("shapes:")) {
                    forms.insert("count");
                    QVERIFY2(caption.startsWith(count), qPrintable(caption));
                }
                QCOMPARE(caption.count(" and "), static_cast<int>(objects.size()) - 1);
                if (caption.contains(" on the ") || caption.contains(" in the center"))
                    forms.insert("multi-position");
            }
            std::set<QuestionType> types;
            for (const QuestionAnswer &qa : s.questions) {
                QVERIFY(types.insert(qa.type).second);
                QVERIFY2(questionFormats.at(qa.type).match(QString::fromStdString(qa.question)).hasMatch(),
                    qa.question.c_str());
                QVERIFY2(
                    answerFormats.at(qa.type).match(QString::fromStdString(qa.answer)).hasMatch(), qa.answer.c_str());
                const auto withShape = [&](const std::string &name) {
                    return std::count_if(
                        objects.begin(), objects.end(), [&](auto &o) { return shapeName(o.shape) == name; });
                };
                const auto withColour = [&](const std::string &name) {
                    return std::count_if(
                        objects.begin(), objects.end(), [&](auto &o) { return colourName(o.colour) == name; });
                };
                if (qa.type == QuestionType::Color) { // asked only when that shape occurs once
                    const std::string shape = qa.question.substr(18, qa.question.size() - 19);
                    QCOMPARE(withShape(shape), 1);
                    for (const ShapeObject &o : objects)
                        if (shapeName(o.shape) == shape)
                            QCOMPARE(qa.answer, std::string(colourName(o.colour)));
                }
                if (qa.type == QuestionType::Shape) {
                    const std::string colour = qa.question.substr(18, qa.question.find(' ', 18) - 18);
                    QCOMPARE(withColour(colour), 1);
                    for (const ShapeObject &o : objects)
                        if (colourName(o.colour) == colour)
                            QCOMPARE(qa.answer, std::string(shapeName(o.shape)));
                }
                if (qa.type == QuestionType::Count)
                    QCOMPARE(qa.answer,
                        std::string(objects.size() == 1 ? "one"
                                : objects.size() == 2   ? "two"
                                                        : "three"));
                if (qa.type == QuestionType::Exists) {
                    ++exists;
                    const bool present = std::any_of(objects.begin(), objects.end(),
                        [&](const ShapeObject &o) { return qa.question == "is there " + o.label() + "?"; });
                    QCOMPARE(qa.answer, std::string(present ? "yes" : "no"));
                    yes += present;
                }
                if (qa.type == QuestionType::Where) {
                    QCOMPARE(objects.size(), std::size_t(1));
                    QCOMPARE(qa.answer, std::string(positionName(objects[0].position())));
                }
            }
            QVERIFY(types.count(QuestionType::Count) && types.count(QuestionType::Exists));
            QCOMPARE(types.count(QuestionType::Where), std::size_t(objects.size() == 1));
        }
        for (const char *form : {"photo", "position", "size", "plain", "count", "multi-position"})
            QVERIFY2(forms.count(form), form);
        QCOMPARE(exists, 5000);
        QVERIFY2(std::abs(yes - 2500) < 150, qPrintable(QString::number(yes)));
    }

    void describesTruth()
    {
        Scene scene;
        ShapeObject a;
        a.shape = Shape::Circle;
        a.colour = Colour::Red;
        a.size = SizeClass::Small;
        a.x = 2;
        a.y = 30; // left
        ShapeObject b = a;
        b.shape = Shape::Square;
        b.colour = Colour::Blue;
        b.size = SizeClass::Large;
        b.x = 36;
        scene.objects = {a, b};
        QVERIFY(describes(
            {{Shape::Square, Colour::Blue, {}, {}}, {Shape::Circle, Colour::Red, {}, Position::Left}}, scene));
        QVERIFY(!describes({{Shape::Circle, Colour::Red, {}, {}}}, scene));
        QVERIFY(!describes(
            {{Shape::Square, Colour::Blue, SizeClass::Small, {}}, {Shape::Circle, Colour::Red, {}, {}}}, scene));
        QVERIFY(!describes(
            {{Shape::Square, Colour::Blue, {}, {}}, {Shape::Circle, Colour::Red, {}, Position::Right}}, scene));
    }

    void renderedColours()
    {
        for (EdgeMode edges : {EdgeMode::AntiAliased, EdgeMode::Aliased}) {
            Augmentations aug;
            aug.edges = edges;
            const ShapesWorld world(4, withAugment(Split::Any, aug));
            for (std::uint64_t i = 0; i < 500; ++i) {
                const ShapesSample s = world.sample(i);
                for (const ShapeObject &o : s.scene.objects) {
                    QCOMPARE(o.rgb, colourRgb(o.colour));
                    QCOMPARE(pixel(s.image, static_cast<int>(o.cx()), static_cast<int>(o.cy())), colourRgb(o.colour));
                }
                QCOMPARE(s.image.width, 64);
                QCOMPARE(s.image.height, 64);
                // Outside every box: the background.
                for (int y = 0; y < 64; y += 3)
                    for (int x = 0; x < 64; x += 3) {
                        bool inside = false;
                        for (const ShapeObject &o : s.scene.objects) {
                            const Box b = o.bounds();
                            inside |= x + 1 > b.x0 && x < b.x1 && y + 1 > b.y0 && y < b.y1;
                        }
                        if (!inside)
                            QCOMPARE(pixel(s.image, x, y), kBackground);
                    }
                if (edges == EdgeMode::Aliased) // every pixel: background or exactly an object's colour
                    for (int y = 0; y < 64; ++y)
                        for (int x = 0; x < 64; ++x) {
                            const Rgb p = pixel(s.image, x, y);
                            bool known = p == kBackground;
                            for (const ShapeObject &o : s.scene.objects)
                                known |= p == o.rgb;
                            QVERIFY(known);
                        }
            }
        }
    }

    void shapesHaveTheirGeometry()
    {
        // One large object of each shape in the centre: covered areas as the spec's geometry says.
        for (Shape shape : {Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond}) {
            Scene scene;
            ShapeObject o;
            o.shape = shape;
            o.colour = Colour::White;
            o.size = SizeClass::Large;
            o.side = 24;
            o.x = o.y = 20;
            o.rgb = colourRgb(Colour::White);
            scene.objects = {o};
            const ml::io::RgbImage image = renderScene(scene);
            double area = 0;
            for (std::size_t i = 0; i < image.pixels.size(); i += 3)
                area += (image.pixels[i] - 32.0) / (240.0 - 32.0);
            const double expected = shape == Shape::Circle ? 3.14159265 * 144 : shape == Shape::Square ? 576 : 288;
            QVERIFY2(std::abs(area - expected) < 0.01 * expected,
                qPrintable(QString("%1: %2").arg(shapeName(shape)).arg(area)));
            if (shape == Shape::Triangle) { // apex at the top centre, base along the bottom
                QCOMPARE(pixel(image, 28, 21), kBackground);
                QCOMPARE(pixel(image, 31, 23), colourRgb(Colour::White)); // below the apex
                QCOMPARE(pixel(image, 21, 43), colourRgb(Colour::White));
                QCOMPARE(pixel(image, 42, 43), colourRgb(Colour::White));
                QCOMPARE(pixel(image, 21, 22), kBackground);
            }
            if (shape == Shape::Diamond) {
                QCOMPARE(pixel(image, 20, 20), kBackground);
                QCOMPARE(pixel(image, 31, 23), colourRgb(Colour::White));
                QCOMPARE(pixel(image, 23, 31), colourRgb(Colour::White));
            }
        }
    }

    void zeroShotSet()
    {
        const std::vector<std::string> labels = zeroShotLabels();
        QCOMPARE(labels.size(), std::size_t(24));
        QCOMPARE(std::set<std::string>(labels.begin(), labels.end()).size(), std::size_t(24));
        int held = 0;
        for (int label = 0; label < 24; ++label) {
            const Colour c = zeroShotColour(label);
            const Shape s = zeroShotShape(label);
            QCOMPARE(zeroShotLabel(c, s), label);
            QCOMPARE(labels[label], std::string("a ") + colourName(c) + " " + shapeName(s));
            held += isHeldOut(c, s);
        }
        QCOMPARE(held, 4);
        const std::vector<ZeroShotItem> items = makeZeroShotSet(9, 3);
        QCOMPARE(items.size(), std::size_t(72));
        for (std::size_t i = 0; i < items.size(); ++i) {
            QCOMPARE(items[i].label, static_cast<int>(i / 3));
            QVERIFY(hasColour(items[i].image, colourRgb(zeroShotColour(items[i].label))));
        }
        QVERIFY(items[0].image.pixels != items[1].image.pixels);
        const std::vector<ZeroShotItem> again = makeZeroShotSet(9, 3, {});
        QVERIFY(again[40].image.pixels == items[40].image.pixels);
    }

    void videoGroundTruth()
    {
        const ShapesWorld world(5);
        int appearLate = 0, leaveEarly = 0, moving = 0;
        for (std::uint64_t i = 0; i < 20; ++i) {
            const ShapesVideo video = world.video(i);
            QCOMPARE(video.frames.size(), std::size_t(48));
            std::set<Colour> colours;
            for (const VideoTrack &t : video.tracks) {
                QVERIFY(colours.insert(t.start.colour).second);
                QVERIFY(!isHeldOut(t.start.colour, t.start.shape));
                QVERIFY(t.firstFrame >= 0 && t.lastFrame < 48 && t.firstFrame <= t.lastFrame);
                QCOMPARE(t.startS(video.fps), t.firstFrame / 12.0);
                QCOMPARE(t.endS(video.fps), (t.lastFrame + 1) / 12.0);
                appearLate += t.firstFrame > 0;
                leaveEarly += t.lastFrame < 47;
                moving += t.at(t.firstFrame).x != t.at(t.lastFrame).x || t.at(t.firstFrame).y != t.at(t.lastFrame).y;
                for (int f = 0; f < 48; ++f) {
                    QCOMPARE(hasColour(video.frames[f], colourRgb(t.start.colour)), t.visibleIn(f));
                    if (!t.visibleIn(f))
                        continue;
                    QVERIFY(t.at(f).bounds().insideCanvas());
                    for (const VideoTrack &u : video.tracks)
                        if (&u != &t && u.visibleIn(f))
                            QVERIFY(t.at(f).bounds().gapTo(u.at(f).bounds()) >= 2.0);
                }
            }
        }
        QVERIFY(appearLate > 5 && leaveEarly > 5 && moving > 10);
        const ShapesVideo held = ShapesWorld(5).video(0, {48, 12.0, 2, 3, Split::HeldOut});
        QVERIFY(std::any_of(held.tracks.begin(), held.tracks.end(),
            [](const VideoTrack &t) { return isHeldOut(t.start.colour, t.start.shape); }));
        const nlohmann::json j = toJson(world.video(0));
        QCOMPARE(j["tracks"].size(), world.video(0).tracks.size());
        QVERIFY(j["tracks"][0].contains("start_s") && j["tracks"][0].contains("label"));
    }

    void writeMp4()
    {
#ifndef MODALLENS_HAVE_MEDIA
        QSKIP("built without media I/O");
#else
        const ShapesWorld world(6);
        const ShapesVideo video = world.video(1);
        const fs::path file = path("clip.mp4");
        writeVideoMp4(video, file);
        const ml::io::MediaInfo info = ml::io::probeMedia(file);
        QCOMPARE(info.width, 128);
        QCOMPARE(info.height, 128);
        QCOMPARE(info.codec, std::string("h264"));
        QCOMPARE(info.frameCount, std::int64_t(48));
        QVERIFY(std::abs(info.durationS - 4.0) < 0.2);
        // Frame by frame: each track's colour near its centre (H.264 is lossy) exactly while visible.
        ml::io::VideoDecoder decoder(file);
        std::vector<ml::io::VideoFrame> frames = decoder.sample(12.0);
        QCOMPARE(frames.size(), std::size_t(48));
        for (const VideoTrack &t : video.tracks) {
            const Rgb c = colourRgb(t.start.colour);
            for (int f = t.firstFrame; f <= t.lastFrame; ++f) {
                const ShapeObject o = t.at(f);
                const Rgb got = pixel(frames[f].image, static_cast<int>(2 * o.cx()), static_cast<int>(2 * o.cy()));
                QVERIFY2(std::abs(got.r - c.r) < 40 && std::abs(got.g - c.g) < 40 && std::abs(got.b - c.b) < 40,
                    qPrintable(QString("frame %1 %2").arg(f).arg(t.label().c_str())));
            }
        }
        writeVideoFolder(world, path("clips"), 0, 2);
        QVERIFY(fs::exists(path("clips/clip_0001.mp4")) && fs::exists(path("clips/clip_0001.json")));
#endif
    }

    void writeFolders()
    {
#ifndef MODALLENS_HAVE_MEDIA
        QSKIP("built without media I/O");
#else
        const ShapesWorld world(8, withAugment(Split::Train, Augmentations::all()));
        writeShapesFolder(world, path("shapes"), 100, 12);
        std::ifstream in(path("shapes/labels.json"));
        const nlohmann::json labels = nlohmann::json::parse(in);
        QCOMPARE(labels.size(), std::size_t(12));
        for (std::size_t i = 0; i < 12; ++i) {
            const ShapesSample s = world.sample(100 + i);
            QCOMPARE(labels[i]["caption"].get<std::string>(), s.caption.text);
            QCOMPARE(labels[i]["objects"].size(), s.scene.objects.size());
            const fs::path png = path("shapes") / labels[i]["file"].get<std::string>();
            QVERIFY(ml::io::loadImage(png).pixels == s.image.pixels); // PNG is lossless
            std::ifstream txt(fs::path(png).replace_extension(".txt"));
            std::string line;
            std::getline(txt, line);
            QCOMPARE(line, s.caption.text);
        }
        const CaptionFolder captions = CaptionFolder::scan(path("shapes"));
        QCOMPARE(captions.size(), std::size_t(12));

        writeZeroShotFolder(path("zeroshot"), 3, 2);
        const LabelledFolder folder = LabelledFolder::scan(path("zeroshot"));
        QCOMPARE(folder.classNames().size(), std::size_t(24));
        QCOMPARE(folder.size(), std::size_t(48));
        std::set<std::string> names(folder.classNames().begin(), folder.classNames().end());
        for (const std::string &label : zeroShotLabels())
            QVERIFY(names.count(label.substr(2)));
        QVERIFY(fs::exists(path("zeroshot/labels.json")));
#endif
    }

    void contactSheets()
    {
        const QByteArray dir = qgetenv("MODALLENS_SHOTS_DIR"); // set it to keep sheets to look at
        const ShapesWorld plain(11, withAugment(Split::Train, {}));
        const ShapesWorld augmented(11, withAugment(Split::Train, Augmentations::all()));
        std::vector<ml::io::RgbImage> a, b, v;
        for (std::uint64_t i = 0; i < 64; ++i) {
            a.push_back(plain.sample(i).image);
            b.push_back(augmented.sample(i).image);
        }
        const ml::io::RgbImage sheet = contactSheet(a, 8, 2);
        QCOMPARE(sheet.width, 8 * (128 + 2) + 2);
        const ShapesVideo video = plain.video(0);
        for (std::size_t f = 0; f < video.frames.size(); f += 3)
            v.push_back(video.frames[f]);
        if (dir.isEmpty())
            return;
#ifdef MODALLENS_HAVE_MEDIA
        const fs::path out(dir.toStdString());
        fs::create_directories(out);
        ml::io::saveImage(sheet, out / "shapes_plain.png");
        ml::io::saveImage(contactSheet(b, 8, 2), out / "shapes_augmented.png");
        ml::io::saveImage(contactSheet(v, 8, 2), out / "shapes_video.png");
        std::ofstream captions(out / "shapes_plain.txt");
        for (std::uint64_t i = 0; i < 64; ++i)
            captions << i << ": " << plain.sample(i).caption.text << "\n";
        std::ofstream augCaptions(out / "shapes_augmented.txt");
        for (std::uint64_t i = 0; i < 64; ++i)
            augCaptions << i << ": " << augmented.sample(i).caption.text << "\n";
#endif
    }

    void tensors()
    {
        const ShapesWorld world(13, withAugment(Split::Train, {}));
        const ShapesSample a = world.sample(0), b = world.sample(1);
        const torch::Tensor batch = imagesToTensor({a.image, b.image}); // [2, 3, 64, 64]
        QCOMPARE(batch.sizes().vec(), (std::vector<std::int64_t> {2, 3, 64, 64}));
        QCOMPARE(batch.scalar_type(), torch::kFloat32);
        const ShapeObject &o = b.scene.objects[0];
        const Rgb c = colourRgb(o.colour);
        const int x = static_cast<int>(o.cx()), y = static_cast<int>(o.cy());
        QCOMPARE(batch[1][0][y][x].item<float>(), c.r / 255.0f);
        QCOMPARE(batch[1][2][y][x].item<float>(), c.b / 255.0f);
        QCOMPARE(batch[0][1][0][0].item<float>(), imageToTensor(a.image)[1][0][0].item<float>());
        ml::io::RgbImage small = a.image;
        small.width = 32;
        QVERIFY_THROWS_EXCEPTION(ml::Error, imagesToTensor({a.image, small}));
    }

    void badOptions()
    {
        ShapesWorldOptions options;
        options.maxObjects = 4;
        QVERIFY_THROWS_EXCEPTION(ml::Error, ShapesWorld(1, options));
        QVERIFY_THROWS_EXCEPTION(ml::Error, ShapesWorld(1).video(0, {1, 12.0, 1, 3, Split::Train}));
    }
};

QTEST_GUILESS_MAIN(TestShapesWorld)
#include "test_shapes_world.moc"
