// Media I/O: every image format and quirk (EXIF, 16-bit, alpha), videos encoded here with the
// frame index drawn into each frame, the failures users meet, thumbnails and their cache.
#include "common/error.h"
#include "error_of.h"
#include "io/media.h"
#include "io/media_encode.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace ml::io;
namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;
constexpr int kFps = 25;
constexpr int kFrames = 75; // 3 s
constexpr int kBarStep = 4; // frame i: a white bar over columns [4i, 4i + 4)

RgbImage filled(int w, int h, const std::function<void(int x, int y, std::uint8_t *px)> &paint)
{
    RgbImage image;
    image.width = w;
    image.height = h;
    image.pixels.resize(static_cast<std::size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            paint(x, y, image.row(y) + 3 * x);
    return image;
}

RgbImage barFrame(int index)
{
    return filled(kWidth, kHeight, [index](int x, int, std::uint8_t *px) {
        const std::uint8_t v = x / kBarStep == index ? 255 : 0;
        px[0] = px[1] = px[2] = v;
    });
}

// The frame index drawn by barFrame(); alongRows for a picture turned 90 degrees clockwise
// (the bar then runs across, at row 4i). Scaled images are measured in source pixels.
int barIndex(const RgbImage &image, bool alongRows = false)
{
    const int n = alongRows ? image.height : image.width;
    const int m = alongRows ? image.width : image.height;
    std::vector<double> profile(n, 0.0);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            profile[alongRows ? y : x] += image.row(y)[3 * x + 1];
    const double peak = *std::max_element(profile.begin(), profile.end());
    double sum = 0.0, weight = 0.0;
    for (int i = 0; i < n; ++i)
        if (profile[i] > 0.5 * peak) {
            sum += i * profile[i];
            weight += profile[i];
        }
    if (peak < 100.0 * m)
        return -1; // no bar
    const double centre = (sum / weight + 0.5) * static_cast<double>(kWidth) / n - 0.5;
    return static_cast<int>(std::lround((centre - 1.5) / kBarStep));
}

int expectedIndex(double t)
{
    return std::clamp(static_cast<int>(std::floor(t * kFps + 1e-9)), 0, kFrames - 1);
}

void writeBytes(const fs::path &path, const QByteArray &bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.constData(), bytes.size());
}

QByteArray toBytes(const std::vector<std::uint8_t> &bytes)
{
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), static_cast<qsizetype>(bytes.size()));
}

QByteArray readBytes(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return QByteArray::fromStdString(std::string(std::istreambuf_iterator<char>(in), {}));
}

quint32 u32(const QByteArray &b, int at) // big-endian, as MP4 boxes store it
{
    const auto byte = [&](int i) { return quint32(static_cast<unsigned char>(b[at + i])); };
    return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

void put32(QByteArray &b, int at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        b[at + i] = char(v >> (24 - 8 * i));
}

QString q(const fs::path &p)
{
    return QString::fromStdString(p.string());
}

QByteArray be32(quint32 v)
{
    QByteArray b(4, 0);
    for (int i = 0; i < 4; ++i)
        b[i] = static_cast<char>(v >> (24 - 8 * i));
    return b;
}

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xffffffffu;
    for (const char ch : data) {
        crc ^= static_cast<quint8>(ch);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray pngChunk(const char *type, const QByteArray &data)
{
    const QByteArray body = QByteArray(type, 4) + data;
    return be32(data.size()) + body + be32(crc32(body));
}

// A PNG from raw samples (rows without filter bytes), optionally with an eXIf chunk.
QByteArray makePng(int w, int h, int bitDepth, int colorType, const QByteArray &samples, const QByteArray &exif = {})
{
    const int rowBytes = samples.size() / h;
    QByteArray filtered;
    for (int y = 0; y < h; ++y)
        filtered += '\0' + samples.mid(y * rowBytes, rowBytes);
    QByteArray ihdr = be32(w) + be32(h);
    ihdr += static_cast<char>(bitDepth);
    ihdr += static_cast<char>(colorType);
    ihdr += QByteArray(3, '\0');
    QByteArray png = QByteArray("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", ihdr);
    if (!exif.isEmpty())
        png += pngChunk("eXIf", exif);
    return png + pngChunk("IDAT", qCompress(filtered).mid(4)) + pngChunk("IEND", {});
}

// A big-endian TIFF block holding one IFD entry: Orientation (274) = orientation.
QByteArray exifTiff(int orientation)
{
    QByteArray t("MM\0*", 4);
    t += be32(8);
    t += QByteArray("\x00\x01", 2);         // one entry
    t += QByteArray("\x01\x12\x00\x03", 4); // tag 274, SHORT
    t += be32(1);                           // count
    t += static_cast<char>(0) + QByteArray(1, static_cast<char>(orientation)) + QByteArray(2, '\0');
    t += be32(0); // no next IFD
    return t;
}

// JPEG bytes with an APP1 EXIF segment spliced in right after SOI.
QByteArray withExif(const QByteArray &jpeg, int orientation)
{
    const QByteArray payload = QByteArray("Exif\0\0", 6) + exifTiff(orientation);
    QByteArray app1("\xff\xe1", 2);
    app1 += static_cast<char>((payload.size() + 2) >> 8);
    app1 += static_cast<char>((payload.size() + 2) & 0xff);
    return jpeg.left(2) + app1 + payload + jpeg.mid(2);
}

// Left half red, right half blue: shows which way a picture was turned.
RgbImage redBlue(int w, int h)
{
    return filled(w, h, [w](int x, int, std::uint8_t *px) {
        px[0] = x < w / 2 ? 255 : 0;
        px[1] = 0;
        px[2] = x < w / 2 ? 0 : 255;
    });
}

bool isRed(const RgbImage &image, int x, int y)
{
    const std::uint8_t *px = image.row(y) + 3 * x;
    return px[0] > 200 && px[1] < 60 && px[2] < 60;
}

bool isBlue(const RgbImage &image, int x, int y)
{
    const std::uint8_t *px = image.row(y) + 3 * x;
    return px[0] < 60 && px[1] < 60 && px[2] > 200;
}

double meanAbsDiff(const RgbImage &a, const RgbImage &b)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i)
        sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    return sum / static_cast<double>(a.pixels.size());
}

} // namespace

class TestMedia : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    fs::path path(const QString &name) const { return fs::path(m_tmp.filePath(name).toStdString()); }

    void encodeClip(const QString &name, const char *codec, int rotation = 0)
    {
        VideoEncoder encoder;
        encoder.open(path(name), codec, kWidth, kHeight, kFps, rotation);
        for (int i = 0; i < kFrames; ++i)
            encoder.write(barFrame(i));
        encoder.finish();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        encodeClip("h264.mp4", "h264");
        encodeClip("vp9.webm", "vp9");
        encodeClip("rot90.mp4", "h264", 90);
        encodeClip("h264.ts", "h264");    // MPEG-TS: the stream starts at ~1.4 s, not 0
        encodeClip("mpeg4.avi", "mpeg4"); // AVI: no pts, only dts
    }

    void imageFormats_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("codec");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("jpeg") << "photo.jpg"
                              << "jpeg" << 6.0;
        QTest::newRow("png") << "photo.png"
                             << "png" << 0.0;
        QTest::newRow("webp") << "photo.webp"
                              << "webp" << 6.0;
        QTest::newRow("bmp") << "photo.bmp"
                             << "bmp" << 0.0;
        QTest::newRow("tiff") << "photo.tiff"
                              << "tiff" << 0.0;
    }

    void imageFormats()
    {
        QFETCH(QString, file);
        QFETCH(QString, codec);
        QFETCH(double, tolerance);
        const RgbImage gradient = filled(64, 48, [](int x, int y, std::uint8_t *px) {
            px[0] = static_cast<std::uint8_t>(x * 4);
            px[1] = static_cast<std::uint8_t>(y * 5);
            px[2] = 128;
        });
        saveImage(gradient, path(file), 95);
        const RgbImage loaded = loadImage(path(file));
        QCOMPARE(loaded.width, 64);
        QCOMPARE(loaded.height, 48);
        QCOMPARE(loaded.pixels.size(), std::size_t(64 * 48 * 3));
        QVERIFY2(
            meanAbsDiff(loaded, gradient) <= tolerance, qPrintable(QString::number(meanAbsDiff(loaded, gradient))));
        QVERIFY(loaded.row(0)[0] < 20 && loaded.row(0)[2] > 110 && loaded.row(0)[2] < 146); // RGB, not BGR

        const MediaInfo info = probeMedia(path(file));
        QCOMPARE(info.kind, MediaKind::Image);
        QCOMPARE(info.width, 64);
        QCOMPARE(info.height, 48);
        QCOMPARE(QString::fromStdString(info.codec), codec);
        QCOMPARE(guessMediaKind(path(file)), MediaKind::Image);
    }

    void exifOrientation_data()
    {
        QTest::addColumn<int>("orientation");
        QTest::addColumn<int>("width");
        QTest::addColumn<bool>("redFirst"); // red at the top (turned) or on the left (not turned)
        QTest::newRow("1 as stored") << 1 << 64 << true;
        QTest::newRow("2 mirrored") << 2 << 64 << false;
        QTest::newRow("3 upside down") << 3 << 64 << false;
        QTest::newRow("6 turn clockwise") << 6 << 32 << true;
        QTest::newRow("8 turn counterclockwise") << 8 << 32 << false;
    }

    void exifOrientation()
    {
        QFETCH(int, orientation);
        QFETCH(int, width);
        QFETCH(bool, redFirst);
        const fs::path file = path(QStringLiteral("exif%1.jpg").arg(orientation));
        writeBytes(file, withExif(toBytes(encodeImage(redBlue(64, 32), ".jpg", 95)), orientation));
        const RgbImage image = loadImage(file);
        QCOMPARE(image.width, width);
        QCOMPARE(image.height, 96 - width);
        const bool turned = width == 32;
        const int x1 = turned ? 16 : 8, y1 = turned ? 8 : 16;   // top or left
        const int x2 = turned ? 16 : 56, y2 = turned ? 56 : 16; // bottom or right
        QVERIFY(redFirst ? isRed(image, x1, y1) : isBlue(image, x1, y1));
        QVERIFY(redFirst ? isBlue(image, x2, y2) : isRed(image, x2, y2));

        const MediaInfo info = probeMedia(file);
        QCOMPARE(info.width, width);
        QCOMPARE(info.height, 96 - width);
    }

    void exifOrientationReducedDecode()
    {
        // Big enough that the thumbnail decodes at 1/8 scale: EXIF must still apply.
        const fs::path file = path("big_exif6.jpg");
        writeBytes(file, withExif(toBytes(encodeImage(redBlue(1600, 800), ".jpg", 90)), 6));
        const RgbImage thumb = makeThumbnail(file, 100);
        QCOMPARE(thumb.width, 50);
        QCOMPARE(thumb.height, 100);
        QVERIFY(isRed(thumb, 25, 20));
        QVERIFY(isBlue(thumb, 25, 80));
    }

    void pngVariants()
    {
        // 16-bit RGB: 65535, 32768, 0 -> 255, 128, 0
        QByteArray rgb16;
        for (int i = 0; i < 4 * 2; ++i)
            rgb16 += QByteArray("\xff\xff\x80\x00\x00\x00", 6);
        writeBytes(path("rgb16.png"), makePng(4, 2, 16, 2, rgb16));
        RgbImage image = loadImage(path("rgb16.png"));
        QCOMPARE(image.width, 4);
        QCOMPARE(image.height, 2);
        QCOMPARE(int(image.row(1)[9]), 255);
        QVERIFY(std::abs(int(image.row(1)[10]) - 128) <= 1);
        QCOMPARE(int(image.row(1)[11]), 0);

        // 16-bit gray 0x8080 -> 128 in all three channels
        writeBytes(path("gray16.png"), makePng(2, 2, 16, 0, QByteArray(8, '\x80')));
        image = loadImage(path("gray16.png"));
        QCOMPARE(int(image.pixels[0]), 128);
        QCOMPARE(int(image.pixels[1]), 128);
        QCOMPARE(int(image.pixels[2]), 128);

        // 8-bit gray
        writeBytes(path("gray8.png"), makePng(3, 1, 8, 0, QByteArray(3, char(100))));
        image = loadImage(path("gray8.png"));
        QCOMPARE(image.width, 3);
        for (const std::uint8_t v : image.pixels)
            QCOMPARE(int(v), 100);

        // RGBA over white: opaque red, transparent red, half-transparent blue
        const QByteArray rgba("\xff\x00\x00\xff"
                              "\xff\x00\x00\x00"
                              "\x00\x00\xff\x80",
            12);
        writeBytes(path("rgba.png"), makePng(3, 1, 8, 6, rgba));
        image = loadImage(path("rgba.png"));
        const std::uint8_t expected[9] = {255, 0, 0, 255, 255, 255, 127, 127, 255};
        for (int i = 0; i < 9; ++i)
            QVERIFY2(std::abs(int(image.pixels[i]) - expected[i]) <= 1, qPrintable(QString::number(i)));

        // gray + alpha
        writeBytes(path("graya.png"), makePng(2, 1, 8, 4, QByteArray("\xc8\x00\xc8\xff", 4)));
        image = loadImage(path("graya.png"));
        QCOMPARE(int(image.pixels[0]), 255);
        QCOMPARE(int(image.pixels[3]), 200);

        // eXIf chunk with orientation 6: 4x2 stored, 2x4 shown
        writeBytes(path("exif6.png"), makePng(4, 2, 8, 6, QByteArray(4 * 2 * 4, '\xff'), exifTiff(6)));
        image = loadImage(path("exif6.png"));
        QCOMPARE(image.width, 2);
        QCOMPARE(image.height, 4);
        QCOMPARE(probeMedia(path("exif6.png")).width, 2);
    }

    void memoryAndResize()
    {
        const RgbImage source = filled(640, 480, [](int x, int y, std::uint8_t *px) {
            px[0] = static_cast<std::uint8_t>(x);
            px[1] = static_cast<std::uint8_t>(y);
            px[2] = static_cast<std::uint8_t>(x + y);
        });
        const std::vector<std::uint8_t> png = encodeImage(source, "png");
        const RgbImage decoded = decodeImage(png.data(), png.size(), "memory.png");
        QVERIFY(decoded.pixels == source.pixels);

        const RgbImage small = resizeToFit(source, 100);
        QCOMPARE(small.width, 100);
        QCOMPARE(small.height, 75);
        const RgbImage tall
            = resizeToFit(filled(10, 20, [](int, int, std::uint8_t *px) { px[0] = px[1] = px[2] = 9; }), 40);
        QCOMPARE(tall.width, 20);
        QCOMPARE(tall.height, 40);
        QCOMPARE(int(tall.pixels[0]), 9);
        QCOMPARE(resizeToFit(source, 640).pixels, source.pixels);

        const char junk[] = "definitely not an image";
        const QString message
            = errorOf([&] { decodeImage(reinterpret_cast<const std::uint8_t *>(junk), sizeof junk, "blob.bin"); });
        QVERIFY2(message.startsWith("blob.bin: not a decodable image"), qPrintable(message));
        QVERIFY2(errorOf([] { saveImage(RgbImage {}, "x.jpg"); }).contains("x.jpg"), "empty image must not save");
        QVERIFY(errorOf([&] { saveImage(source, path("x.xyz")); }).contains("unsupported extension"));
    }

    void videoProbe_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("codec");
        QTest::addColumn<int>("rotation");
        QTest::newRow("h264 mp4") << "h264.mp4"
                                  << "h264" << 0;
        QTest::newRow("vp9 webm") << "vp9.webm"
                                  << "vp9" << 0;
        QTest::newRow("h264 mp4 rotated") << "rot90.mp4"
                                          << "h264" << 90;
        QTest::newRow("h264 mpeg-ts") << "h264.ts"
                                      << "h264" << 0;
        QTest::newRow("mpeg4 avi") << "mpeg4.avi"
                                   << "mpeg4" << 0;
    }

    void videoProbe()
    {
        QFETCH(QString, file);
        QFETCH(QString, codec);
        QFETCH(int, rotation);
        const MediaInfo info = probeMedia(path(file));
        QCOMPARE(info.kind, MediaKind::Video);
        QCOMPARE(QString::fromStdString(info.codec), codec);
        QCOMPARE(info.rotation, rotation);
        QCOMPARE(info.width, rotation ? kHeight : kWidth);
        QCOMPARE(info.height, rotation ? kWidth : kHeight);
        QVERIFY2(std::abs(info.fps - kFps) < 0.01, qPrintable(QString::number(info.fps)));
        QVERIFY2(std::abs(info.durationS - 3.0) <= 1.0 / kFps + 1e-6, qPrintable(QString::number(info.durationS)));
        QVERIFY2(std::abs(info.frameCount - kFrames) <= 1, qPrintable(QString::number(info.frameCount)));
        QCOMPARE(guessMediaKind(path(file)), MediaKind::Video);
    }

    void frameAt_data() { videoProbe_data(); }

    void frameAt()
    {
        QFETCH(QString, file);
        QFETCH(int, rotation);
        VideoDecoder video(path(file));
        // Forward, backward, on frame boundaries, past both ends.
        const double times[] = {0.0, 0.5, 1.23, 2.96, 1.0, 0.04, 2.0, 0.2, 1.999, 2.5, 0.7, 10.0, -1.0, 1.5};
        for (const double t : times) {
            const VideoFrame frame = video.frameAt(t);
            QCOMPARE(frame.image.width, rotation ? kHeight : kWidth);
            QCOMPARE(frame.image.height, rotation ? kWidth : kHeight);
            const int got = barIndex(frame.image, rotation == 90);
            const QString what = QStringLiteral("%1 at t=%2: frame %3 (time %4), expected %5")
                                     .arg(file)
                                     .arg(t)
                                     .arg(got)
                                     .arg(frame.timeS)
                                     .arg(expectedIndex(t));
            QVERIFY2(std::abs(got - expectedIndex(t)) <= 1, qPrintable(what));
            QVERIFY2(std::abs(frame.timeS - got / double(kFps)) < 0.5 / kFps, qPrintable(what));
            // The last frame with pts <= t (t clamped to the video).
            const double clamped = std::clamp(t, 0.0, video.info().durationS);
            QVERIFY2(frame.timeS <= clamped + 1e-6 && clamped - frame.timeS <= 1.0 / kFps + 1e-6, qPrintable(what));
        }
        // Scaled on decode: the longer side becomes maxSide.
        const VideoFrame small = video.frameAt(1.0, 160);
        QCOMPARE(std::max(small.image.width, small.image.height), 160);
        QCOMPARE(std::min(small.image.width, small.image.height), 120);
        QVERIFY(std::abs(barIndex(small.image, rotation == 90) - 25) <= 1);
    }

    void nextAndSample()
    {
        VideoDecoder video(path("h264.mp4"));
        VideoFrame frame;
        QVERIFY(video.next(frame));
        QCOMPARE(barIndex(frame.image), 0);
        QVERIFY(video.next(frame));
        QCOMPARE(barIndex(frame.image), 1);

        QCOMPARE(barIndex(video.frameAt(1.0).image), 25);
        QVERIFY(video.next(frame));
        QCOMPARE(barIndex(frame.image), 26);
        QVERIFY(video.next(frame));
        QCOMPARE(barIndex(frame.image), 27);

        const std::vector<VideoFrame> samples = video.sample(2.0, 160);
        QCOMPARE(samples.size(), std::size_t(6)); // 0, 0.5, ... 2.5 s
        for (std::size_t i = 0; i < samples.size(); ++i) {
            QCOMPARE(samples[i].image.width, 160);
            const int got = barIndex(samples[i].image);
            QVERIFY2(std::abs(got - expectedIndex(i * 0.5)) <= 1, qPrintable(QString::number(got)));
            QVERIFY(std::abs(samples[i].timeS - got / double(kFps)) < 0.5 / kFps);
        }
        int count = 0;
        video.frameAt(2.9);
        while (video.next(frame))
            ++count;
        QCOMPARE(count, 2); // 73 and 74 remain after 72
        QVERIFY(errorOf([&] { video.sample(0.0); }).contains("h264.mp4"));
    }

    void sceneCuts()
    {
        // 6 s at 10 fps, dark with a slowly moving bright bar (no cut), bright from 2.4 s, dark
        // from 4.9 s (the fixed-rate frame at 5 s shows it), bright from 5.6 s (after the last one).
        const fs::path file = path("scenes.mp4");
        {
            VideoEncoder encoder;
            encoder.open(file, "h264", 128, 96, 10.0);
            for (int i = 0; i < 60; ++i) {
                const bool bright = (i >= 24 && i < 49) || i >= 56;
                RgbImage frame {128, 96, std::vector<std::uint8_t>(128 * 96 * 3, bright ? 210 : 30)};
                for (int y = 40; y < 56; ++y)
                    std::fill(frame.row(y) + (10 + i) * 3, frame.row(y) + (26 + i) * 3, bright ? 90 : 160);
                encoder.write(frame);
            }
            encoder.finish();
        }
        VideoDecoder video(file);
        const auto plain = video.sample(1.0, 0, 0.0);
        QCOMPARE(plain.size(), std::size_t(6));
        const auto frames = video.sample(1.0, 0, 0.25);
        std::vector<double> cuts, times;
        for (const auto &f : frames) {
            times.push_back(f.timeS);
            if (f.sceneCut)
                cuts.push_back(f.timeS);
        }
        QVERIFY(std::is_sorted(times.begin(), times.end()));
        QCOMPARE(frames.size(), std::size_t(8));
        QCOMPARE(cuts.size(), std::size_t(2));
        QVERIFY2(std::abs(cuts[0] - 2.4) < 0.01 && std::abs(cuts[1] - 5.6) < 0.01,
            qPrintable(QString("%1 %2").arg(cuts[0]).arg(cuts[1])));
        const auto brightness = [](const RgbImage &im) {
            double sum = 0;
            for (auto v : im.pixels)
                sum += v;
            return sum / static_cast<double>(im.pixels.size());
        };
        for (const auto &f : frames) // a cut frame shows the new picture
            if (f.sceneCut)
                QVERIFY(brightness(f.image) > 150);
        QVERIFY(brightness(frames.back().image) > 150);            // 5.6 s
        QVERIFY(brightness(frames[frames.size() - 2].image) < 80); // 5 s, after the cut at 4.9 s
        QVERIFY(errorOf([&] { video.sample(1.0, 0, -0.5); }).contains("scenes.mp4"));
        // One at a time: the same frames; the consumer's exception stops the decode.
        std::vector<double> each;
        video.sampleEach(
            1.0, [&](VideoFrame &&f) { each.push_back(f.timeS); }, 0, 0.25);
        QCOMPARE(each, times);
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, video.sampleEach(1.0, [&](VideoFrame &&) {
            if (++calls == 3)
                throw std::runtime_error("enough");
        }));
        QCOMPARE(calls, 3);
    }

    void denseSampling()
    {
        // A short clip is sampled faster, up to its own frame rate; a long one keeps the rate asked.
        MediaInfo info;
        info.durationS = 3.0;
        info.fps = 25.0;
        QCOMPARE(samplingRate(info, 1.0, 16), 16.0 / 3.0);
        QCOMPARE(samplingRate(info, 1.0, 0), 1.0);
        QCOMPARE(samplingRate(info, 10.0, 16), 10.0); // already enough
        info.durationS = 600.0;
        QCOMPARE(samplingRate(info, 1.0, 16), 1.0);
        info.durationS = 0.5; // 12 frames: each once, never 32 samples of 12 frames
        QCOMPARE(samplingRate(info, 1.0, 16), 25.0);
        info.durationS = 0.0; // unknown: as asked
        QCOMPARE(samplingRate(info, 2.0, 16), 2.0);

        VideoDecoder video(path("h264.mp4")); // 3 s at 25 fps
        const auto frames = video.sample(samplingRate(video.info(), 1.0, 16));
        QCOMPARE(frames.size(), std::size_t(16));
        for (std::size_t i = 0; i < frames.size(); ++i)
            QVERIFY(std::abs(barIndex(frames[i].image) - expectedIndex(i * 3.0 / 16.0)) <= 1);
        // Faster than the video's own rate: every frame once, in order, none twice.
        const auto all = video.sample(60.0);
        QCOMPARE(all.size(), std::size_t(kFrames));
        for (std::size_t i = 0; i < all.size(); ++i) {
            QCOMPARE(barIndex(all[i].image), int(i));
            QVERIFY(i == 0 || all[i].timeS > all[i - 1].timeS);
        }
    }

    void perceptualHashes()
    {
        // A picture with structure at several scales, its altered copies, and other pictures.
        const RgbImage photo = filled(320, 240, [](int x, int y, std::uint8_t *px) {
            px[0] = static_cast<std::uint8_t>(128 + 100 * std::sin(x / 23.0) * std::cos(y / 31.0));
            px[1] = static_cast<std::uint8_t>(x * 255 / 320);
            px[2] = static_cast<std::uint8_t>((x / 40 + y / 40) % 2 ? 200 : 40);
        });
        const auto h = perceptualHash(photo);
        saveImage(photo, path("hash.jpg"), 60);
        saveImage(resizeToFit(photo, 120), path("hash_small.png"));
        const int reencoded = hashDistance(h, perceptualHash(loadImage(path("hash.jpg"))));
        const int resized = hashDistance(h, perceptualHash(loadImage(path("hash_small.png"))));
        QVERIFY2(reencoded <= 4, qPrintable(QString::number(reencoded)));
        QVERIFY2(resized <= 4, qPrintable(QString::number(resized)));
        QCOMPARE(hashDistance(h, h), 0);
        const int other = hashDistance(h, perceptualHash(barFrame(30)));
        const int mirrored = hashDistance(h, perceptualHash(filled(320, 240, [&](int x, int y, std::uint8_t *px) {
            std::memcpy(px, photo.row(y) + 3 * (319 - x), 3);
        })));
        QVERIFY2(other >= 16 && mirrored >= 16, qPrintable(QStringLiteral("%1 %2").arg(other).arg(mirrored)));
        QCOMPARE(hashDistance(0, ~std::uint64_t {0}), 64);
        QVERIFY(errorOf([] { perceptualHash(RgbImage {}); }).contains("empty"));
    }

    void truncatedVideos()
    {
        for (const char *name : {"h264.mp4", "vp9.webm"}) {
            const QByteArray bytes = readBytes(path(name));
            const QString cut = QStringLiteral("half_") + name;
            const int mdat = bytes.indexOf("mdat"); // MP4: cut the frames, keep the index
            writeBytes(path(cut), bytes.left(mdat > 0 ? mdat + (bytes.size() - mdat) / 2 : bytes.size() / 2));
            VideoDecoder video(path(cut));                             // decodes what is there
            const std::vector<VideoFrame> frames = video.sample(kFps); // every frame there is
            QVERIFY2(
                frames.size() > 5 && frames.size() < std::size_t(kFrames), qPrintable(QString::number(frames.size())));
            for (std::size_t i = 0; i < frames.size(); ++i)
                QCOMPARE(barIndex(frames[i].image), int(i));
            // Past the cut: the last frame that decodes.
            QCOMPARE(barIndex(video.frameAt(2.9).image), int(frames.size()) - 1);
            QCOMPARE(barIndex(video.frameAt(0.12).image), 3);
        }

        // Only the first few hundred bytes: no index, nothing to decode.
        writeBytes(path("cut-short.mp4"), readBytes(path("h264.mp4")).left(300));
        QString message = errorOf([&] { VideoDecoder video(path("cut-short.mp4")); });
        QVERIFY2(message.startsWith(q(path("cut-short.mp4")) + ": truncated or corrupt video"), qPrintable(message));

        // Index intact, every frame zeroed.
        QByteArray zeroed = readBytes(path("h264.mp4"));
        const int mdat = zeroed.indexOf("mdat");
        QVERIFY(mdat > 0);
        zeroed.replace(mdat + 4, zeroed.size() - mdat - 4, QByteArray(zeroed.size() - mdat - 4, '\0'));
        writeBytes(path("zeroed.mp4"), zeroed);
        message = errorOf([&] { probeMedia(path("zeroed.mp4")); });
        QVERIFY2(message.startsWith(q(path("zeroed.mp4")) + ": truncated or corrupt video (no decodable frames)"),
            qPrintable(message));
    }

    // MP4 headers that lie about time, made from a clean clip by rewriting its boxes: 136 years
    // (2^32 - 1 s), 10^9 frames, a zero duration, and a variable frame rate. Sampling takes what the
    // frames say, never one step per claimed second.
    void lyingVideoHeaders()
    {
        const QByteArray clean = readBytes(path("h264.mp4"));
        const int moov = clean.indexOf("moov") - 4;
        const auto box = [&](const QByteArray &b, const char *type) { return b.indexOf(type, moov) - 4; };
        for (const char *type : {"mvhd", "mdhd", "tkhd", "stts"})
            if (box(clean, type) < 0 || clean[box(clean, type) + 8] != 0)
                QSKIP("the encoder wrote 64-bit (version 1) boxes");
        const int sttsAt = box(clean, "stts");
        QCOMPARE(u32(clean, sttsAt + 12), 1u); // one run of equal frame durations
        const quint32 frames = u32(clean, sttsAt + 16), delta = u32(clean, sttsAt + 20);
        QCOMPARE(frames, quint32(kFrames));

        QByteArray years = clean; // timescale 1: every frame 57 million seconds long
        for (const char *type : {"mvhd", "mdhd"}) {
            put32(years, box(years, type) + 20, 1);
            put32(years, box(years, type) + 24, 0xFFFFFFFFu);
        }
        put32(years, box(years, "tkhd") + 28, 0xFFFFFFFFu);
        put32(years, sttsAt + 20, 0xFFFFFFFFu / frames);
        if (const int elst = box(years, "elst"); elst > 0 && years[elst + 8] == 0) {
            put32(years, elst + 16, 0xFFFFFFFFu);
            put32(years, elst + 20, 0);
        }
        writeBytes(path("years.mp4"), years);
        QVERIFY(probeMedia(path("years.mp4")).durationS > 4e9);
        // Each frame once, in order (the B-frames' offsets, now in seconds, may merge two at the end).
        auto sampled = VideoDecoder(path("years.mp4")).sample(1.0);
        QVERIFY2(int(sampled.size()) >= kFrames - 2 && int(sampled.size()) <= kFrames,
            qPrintable(QString::number(sampled.size())));
        for (std::size_t i = 1; i < sampled.size(); ++i)
            QVERIFY(barIndex(sampled[i].image) > barIndex(sampled[i - 1].image));

        QByteArray billion = clean; // 10^9 frames in the table, 75 in the file
        put32(billion, sttsAt + 16, 1000000000u);
        writeBytes(path("billion.mp4"), billion);
        QCOMPARE(probeMedia(path("billion.mp4")).frameCount, std::int64_t(1000000000));
        QCOMPARE(int(VideoDecoder(path("billion.mp4")).sample(kFps).size()), kFrames);

        QByteArray zero = clean;
        for (const char *type : {"mvhd", "mdhd"})
            put32(zero, box(zero, type) + 24, 0);
        put32(zero, box(zero, "tkhd") + 28, 0);
        writeBytes(path("zero.mp4"), zero);
        sampled = VideoDecoder(path("zero.mp4")).sample(kFps);
        QCOMPARE(int(sampled.size()), kFrames);

        // Variable rate: the first half at the clip's rate, the rest three times as long each.
        const quint32 half = frames / 2;
        QByteArray vfr = clean;
        QByteArray stts;
        for (quint32 v : {32u, u32(clean, sttsAt + 4), 0u, 2u, half, delta, frames - half, 3 * delta}) {
            stts.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
        }
        stts.replace(4, 4, "stts");
        stts.replace(8, 4, clean.mid(sttsAt + 8, 4));
        vfr.replace(sttsAt, 24, stts);
        for (const char *parent : {"moov", "trak", "mdia", "minf", "stbl"}) // each holds the stts
            put32(vfr, box(vfr, parent), u32(vfr, box(vfr, parent)) + 8);
        const int mdat = clean.indexOf("mdat");
        if (mdat > moov) // the chunk offsets point past the grown box
            for (int at = box(vfr, "stco"), k = 0; k < int(u32(vfr, at + 12)); ++k)
                put32(vfr, at + 16 + 4 * k, u32(vfr, at + 16 + 4 * k) + 8);
        // The durations say the new length too (6 s instead of 3).
        const quint64 ticks = quint64(half) * delta + quint64(frames - half) * 3 * delta;
        const quint64 movieTicks = ticks * u32(vfr, box(vfr, "mvhd") + 20) / u32(vfr, box(vfr, "mdhd") + 20);
        put32(vfr, box(vfr, "mdhd") + 24, quint32(ticks));
        put32(vfr, box(vfr, "mvhd") + 24, quint32(movieTicks));
        put32(vfr, box(vfr, "tkhd") + 28, quint32(movieTicks));
        if (const int elst = box(vfr, "elst"); elst > 0 && vfr[elst + 8] == 0)
            put32(vfr, elst + 16, quint32(movieTicks));
        writeBytes(path("vfr.mp4"), vfr);
        sampled = VideoDecoder(path("vfr.mp4")).sample(kFps);
        QVERIFY2(int(sampled.size()) >= kFrames - 1,
            qPrintable(QString::number(sampled.size()))); // the edit list may end on the last
        // Each frame once, in order; the second half three times as slow, so it lasts ~6 s, not 3 (the
        // B-frames' offsets were not stretched, so single steps are uneven).
        for (std::size_t i = 1; i < sampled.size(); ++i) {
            QVERIFY(sampled[i].timeS > sampled[i - 1].timeS);
            QVERIFY(barIndex(sampled[i].image) > barIndex(sampled[i - 1].image));
        }
        QVERIFY2(sampled.back().timeS > 5.5, qPrintable(QString::number(sampled.back().timeS)));
        QVERIFY2(std::abs(sampled[std::size_t(half) - 4].timeS - (half - 4.0) / kFps) < 0.1,
            qPrintable(QString::number(sampled[std::size_t(half) - 4].timeS)));
    }

    void badFiles_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content"); // null: no file at all; "<dir>": a directory
        QTest::addColumn<QString>("reason");
        QTest::newRow("missing image") << "missing.jpg" << QByteArray() << "no such file";
        QTest::newRow("missing video") << "missing.mp4" << QByteArray() << "no such file";
        QTest::newRow("empty image") << "empty.png" << QByteArray("") << "file is empty (0 bytes)";
        QTest::newRow("empty video") << "empty.mp4" << QByteArray("") << "file is empty (0 bytes)";
        QTest::newRow("text as jpeg") << "notes.jpg" << QByteArray("hello, this is not a photo\n")
                                      << "not a decodable image (file starts with text \"hello, this is";
        QTest::newRow("text as mp4") << "notes.mp4" << QByteArray("hello, this is not a video\n")
                                     << "not a decodable video (file starts with text \"hello";
        QByteArray junk(4096, '\0');
        for (int i = 0; i < junk.size(); ++i)
            junk[i] = static_cast<char>((i * 7919 + 13) % 251);
        QTest::newRow("binary junk as mp4") << "junk.mp4" << junk << "truncated or corrupt video";
        QTest::newRow("directory") << "folder.jpg" << QByteArray("<dir>") << "is a directory";
    }

    void badFiles()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(QString, reason);
        const fs::path p = path(file);
        if (content == "<dir>")
            fs::create_directories(p);
        else if (!content.isNull())
            writeBytes(p, content);
        const bool image = guessMediaKind(p) == MediaKind::Image;
        const QString expected = q(p) + ": " + reason; // the path as given, not only its base name
        const std::function<void()> calls[] = {
            [&] { probeMedia(p); },
            [&] { makeThumbnail(p, 64); },
            [&] {
                if (image)
                    loadImage(p);
                else
                    VideoDecoder video(p);
            },
        };
        for (const auto &call : calls) {
            const QString message = errorOf(call);
            QVERIFY2(message.startsWith(expected), qPrintable(message + " -- expected: " + expected));
        }
    }

    // A decompression bomb is refused from its header, before any allocation (a probe still reads
    // the header); a JPEG cut short is refused rather than decoded half grey; bytes after a JPEG's
    // end (a motion photo's video) do not matter.
    void hostileImages()
    {
        QByteArray png("\x89PNG\r\n\x1a\n", 8);
        const auto be32 = [](quint32 v) {
            const char b[4] = {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
            return QByteArray(b, 4);
        };
        png += be32(13) + QByteArray("IHDR") + be32(60000) + be32(60000) + QByteArray("\x01\x00\x00\x00\x00", 5)
            + be32(0); // 1-bit grey; the CRC is never read: nothing reaches the decoder
        png += be32(0) + QByteArray("IEND") + be32(0xAE426082);
        const fs::path bomb = path("bomb.png");
        writeBytes(bomb, png);
        const QString tooLarge = q(bomb) + ": image too large: 60000 x 60000 pixels (3600 megapixels; at most 250";
        for (const std::function<void()> &call :
            std::vector<std::function<void()>> {[&] { loadImage(bomb); }, [&] { makeThumbnail(bomb, 64); }}) {
            const QString message = errorOf(call);
            QVERIFY2(message.startsWith(tooLarge), qPrintable(message));
        }
        QCOMPARE(probeMedia(bomb).width, 60000);

        RgbImage noisy {96, 64, std::vector<std::uint8_t>(96 * 64 * 3)};
        for (std::size_t i = 0; i < noisy.pixels.size(); ++i)
            noisy.pixels[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 24);
        const QByteArray jpeg = toBytes(encodeImage(noisy, ".jpg", 90));
        const fs::path half = path("half.jpg"), trailer = path("motion.jpg");
        writeBytes(half, jpeg.left(jpeg.size() / 2));
        const QString message = errorOf([&] { loadImage(half); });
        QVERIFY2(message.startsWith(q(half) + ": truncated jpeg image"), qPrintable(message));
        writeBytes(trailer,
            jpeg
                + QByteArray("\x00\x00\x00\x18"
                             "ftypmp42",
                    12)
                + QByteArray(5000, '\xFF'));
        QCOMPARE(loadImage(trailer).pixels,
            decodeImage(
                reinterpret_cast<const std::uint8_t *>(jpeg.constData()), static_cast<std::size_t>(jpeg.size()), "jpeg")
                .pixels);
    }

    void unknownExtension()
    {
        writeBytes(path("notes.txt"), "just some notes\n");
        const QString message = errorOf([&] { probeMedia(path("notes.txt")); });
        QVERIFY2(
            message.startsWith(q(path("notes.txt"))
                + ": not a supported image or video (not a decodable video (file starts with text \"just some notes"),
            qPrintable(message));
        QCOMPARE(guessMediaKind(path("notes.txt")), MediaKind::Unknown);

        // Content decides, not the name: a PNG called .jpg, a video called .bin.
        fs::copy_file(path("photo.png"), path("png_named.jpg"));
        QCOMPARE(QString::fromStdString(probeMedia(path("png_named.jpg")).codec), QStringLiteral("png"));
        fs::copy_file(path("vp9.webm"), path("clip.bin"));
        QCOMPARE(probeMedia(path("clip.bin")).kind, MediaKind::Video);
    }

    // Errors give the path as the caller wrote it: relative stays relative, absolute absolute; the
    // base name alone would not tell two "notes.jpg" in different folders apart.
    void errorsNameThePathAsGiven()
    {
        fs::create_directories(path("sub"));
        writeBytes(path("sub/notes.jpg"), "hello, this is not a photo\n");
        writeBytes(path("sub/notes.mp4"), "hello, this is not a video\n");
        const QString previous = QDir::currentPath();
        QVERIFY(QDir::setCurrent(m_tmp.path()));
        const QString image = errorOf([] { loadImage("sub/notes.jpg"); });
        const QString thumbnail = errorOf([] { makeThumbnail("sub/notes.jpg", 64); });
        const QString probe = errorOf([] { probeMedia("sub/missing.png"); });
        const QString video = errorOf([] { VideoDecoder decoder("sub/notes.mp4"); });
        const QString encoder = errorOf([] { VideoEncoder().open("sub/out.mp4", "h264", 63, 48, 10.0); });
        QVERIFY(QDir::setCurrent(previous));
        QVERIFY2(image.startsWith("sub/notes.jpg: not a decodable image"), qPrintable(image));
        QVERIFY2(thumbnail.startsWith("sub/notes.jpg: not a decodable image"), qPrintable(thumbnail));
        QVERIFY2(probe.startsWith("sub/missing.png: no such file"), qPrintable(probe));
        QVERIFY2(video.startsWith("sub/notes.mp4: not a decodable video"), qPrintable(video));
        QVERIFY2(encoder.startsWith("sub/out.mp4: cannot write video"), qPrintable(encoder));

        const fs::path absolute = path("sub/notes.jpg");
        QVERIFY(absolute.is_absolute());
        const QString message = errorOf([&] { loadImage(absolute); });
        QVERIFY2(message.startsWith(q(absolute) + ": not a decodable image"), qPrintable(message));
    }

    void thumbnails()
    {
        saveImage(redBlue(640, 480), path("wide.jpg"));
        RgbImage thumb = makeThumbnail(path("wide.jpg"), 128);
        QCOMPARE(thumb.width, 128);
        QCOMPARE(thumb.height, 96);
        QVERIFY(isRed(thumb, 10, 48) && isBlue(thumb, 118, 48));

        saveImage(redBlue(60, 40), path("tiny.png"));
        thumb = makeThumbnail(path("tiny.png"), 128); // never enlarged
        QCOMPARE(thumb.width, 60);
        QCOMPARE(thumb.height, 40);

        thumb = makeThumbnail(path("h264.mp4"), 100); // frame at 10% of 3 s
        QCOMPARE(thumb.width, 100);
        QCOMPARE(thumb.height, 75);
        QVERIFY(std::abs(barIndex(thumb) - expectedIndex(0.3)) <= 1);

        thumb = makeThumbnail(path("rot90.mp4"), 100);
        QCOMPARE(thumb.width, 75);
        QCOMPARE(thumb.height, 100);
        QVERIFY(std::abs(barIndex(thumb, true) - expectedIndex(0.3)) <= 1);
    }

    void thumbnailCache()
    {
        const fs::path photo = path("cached.jpg");
        saveImage(redBlue(640, 480), photo);
        ThumbnailCache cache(path("thumbs"), 64);
        const RgbImage first = cache.get(photo);
        QCOMPARE(first.width, 64);
        QCOMPARE(first.height, 48);
        const fs::path key = cache.keyPath(photo);
        QVERIFY(fs::is_regular_file(key));
        QCOMPARE(key.parent_path(), path("thumbs"));
        QCOMPARE(cache.get(photo).pixels, first.pixels); // a hit gives the same pixels

        // Hits come from the cache file: replace it and the replacement is what comes back.
        saveImage(filled(64, 48, [](int, int, std::uint8_t *px) { px[0] = 0, px[1] = 255, px[2] = 0; }), key);
        QVERIFY(cache.get(photo).row(10)[1] > 200);

        // A corrupt entry is made again.
        writeBytes(key, "garbage, not a jpeg");
        QCOMPARE(cache.get(photo).pixels, first.pixels);
        QCOMPARE(loadImage(key).pixels, first.pixels);

        // Nothing half-written is left behind.
        int files = 0;
        for (const auto &entry : fs::directory_iterator(path("thumbs"))) {
            QVERIFY2(entry.path().extension() == ".jpg", entry.path().c_str());
            ++files;
        }
        QCOMPARE(files, 1);

        // A changed file gets a new key; a missing one is an error naming it.
        fs::last_write_time(photo, fs::last_write_time(photo) + std::chrono::hours(1));
        QVERIFY(cache.keyPath(photo) != key);
        QVERIFY(ThumbnailCache(path("thumbs"), 128).keyPath(photo) != cache.keyPath(photo));
        QVERIFY(errorOf([&] { cache.get(path("gone.jpg")); }).startsWith(q(path("gone.jpg")) + ": no such file"));

        // A video's frame at a time (a search hit's best moment) is kept apart from its poster frame.
        ThumbnailCache wide(path("thumbs"), 100);
        const RgbImage poster = wide.get(path("h264.mp4"));
        const RgbImage moment = wide.get(path("h264.mp4"), 2.4);
        QVERIFY(wide.keyPath(path("h264.mp4"), 2.4) != wide.keyPath(path("h264.mp4")));
        QVERIFY(fs::is_regular_file(wide.keyPath(path("h264.mp4"), 2.4)));
        QVERIFY(std::abs(barIndex(poster) - expectedIndex(0.3)) <= 1);
        QVERIFY(std::abs(barIndex(moment) - expectedIndex(2.4)) <= 1);
        QCOMPARE(wide.get(path("h264.mp4"), 2.4).pixels, moment.pixels);

        const RgbImage video = cache.get(path("vp9.webm"));
        QCOMPARE(video.width, 64);
        QCOMPARE(video.height, 48);
    }
};

QTEST_GUILESS_MAIN(TestMedia)
#include "test_media.moc"
