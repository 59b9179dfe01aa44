// Image preprocessing (CPU twin): PIL 9.4 bicubic bit-exactness, HF/torchvision crop geometry,
// and CLIPImageProcessor parity on the shared CLIP fixture.
#include "io/safetensors.h"
#include "preprocess.h"
#include "preprocess_test_util.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#ifdef MODALLENS_TEST_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

using namespace ml::kernels;
using namespace ml::kernels::test;

namespace {

const std::filesystem::path kClipDir = std::filesystem::path(MODALLENS_FIXTURES_DIR) / "clip";

// A deterministic image with gradients and hard edges; tools that made the PIL hashes below:
// numpy, base = (x*73 + y*151 + c*41 + ((x*y) % 13)*17) % 256, inverted where (x//5 + y//3) % 4 == 0.
std::vector<uint8_t> patternImage(int h, int w, int c)
{
    std::vector<uint8_t> img(static_cast<std::size_t>(h) * w * c);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int ch = 0; ch < c; ++ch) {
                const int base = (x * 73 + y * 151 + ch * 41 + ((x * y) % 13) * 17) % 256;
                img[(static_cast<std::size_t>(y) * w + x) * c + ch]
                    = static_cast<uint8_t>((x / 5 + y / 3) % 4 == 0 ? 255 - base : base);
            }
    return img;
}

uint64_t fnv1a(const std::vector<uint8_t> &bytes)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const uint8_t b : bytes) {
        h ^= b;
        h *= 0x100000001b3ull;
    }
    return h;
}

// What the pipeline means, spelled out without the kernel: crop the fully resized image (zero
// outside), then numpy's float64 rescale, float32 normalise.
std::vector<uint8_t> cropReference(const std::vector<uint8_t> &resized, int rh, int rw, const PreprocessGeometry &g)
{
    std::vector<uint8_t> out(static_cast<std::size_t>(g.outHeight) * g.outWidth * 3, 0);
    for (int y = 0; y < g.outHeight; ++y)
        for (int x = 0; x < g.outWidth; ++x) {
            const int sy = g.top + y, sx = g.left + x;
            if (sy < 0 || sy >= rh || sx < 0 || sx >= rw)
                continue;
            for (int c = 0; c < 3; ++c)
                out[(static_cast<std::size_t>(y) * g.outWidth + x) * 3 + c]
                    = resized[(static_cast<std::size_t>(sy) * rw + sx) * 3 + c];
        }
    return out;
}

float normaliseReference(uint8_t u, int c, const PreprocessParams &p)
{
    const float x = static_cast<float>(static_cast<double>(u) * p.rescale);
    return (x - p.mean[c]) / p.std[c];
}

} // namespace

class TestPreprocess : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void shortestEdge_data()
    {
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("rh");
        QTest::addColumn<int>("rw");
        QTest::newRow("square") << 320 << 320 << 224 << 224;
        QTest::newRow("landscape 3:2") << 260 << 390 << 224 << 336;
        QTest::newRow("portrait upscale") << 300 << 200 << 336 << 224;
        QTest::newRow("vga") << 480 << 640 << 224 << 298;    // 298.67 truncated
        QTest::newRow("truncation") << 3 << 7 << 224 << 522; // 522.67
        QTest::newRow("1xN") << 1 << 640 << 224 << 143360;
        QTest::newRow("Nx1") << 640 << 1 << 143360 << 224;
        QTest::newRow("near square") << 223 << 225 << 224 << 226; // 226.0090
        QTest::newRow("full hd") << 1080 << 1920 << 224 << 398;   // 398.22
    }
    void shortestEdge()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, rh);
        QFETCH(int, rw);
        const ResizedSize r = shortestEdgeSize(h, w, 224);
        QCOMPARE(r.height, rh);
        QCOMPARE(r.width, rw);
    }

    // Floor: HF (H - c) // 2; Round: torchvision, Python round() (half to even) and, when the
    // image is smaller than the crop, padding (c - H) // 2 before.
    void cropRounding_data()
    {
        QTest::addColumn<int>("resized");
        QTest::addColumn<int>("floorOffset");
        QTest::addColumn<int>("roundOffset");
        QTest::newRow("even margin") << 336 << 56 << 56;
        QTest::newRow("margin 1") << 225 << 0 << 0; // round(0.5) = 0
        QTest::newRow("margin 3") << 227 << 1 << 2; // round(1.5) = 2
        QTest::newRow("margin 5") << 229 << 2 << 2; // round(2.5) = 2
        QTest::newRow("margin 7") << 231 << 3 << 4; // round(3.5) = 4
        QTest::newRow("margin 0") << 224 << 0 << 0;
        QTest::newRow("pad 1") << 223 << -1 << 0; // HF pads ceil(1/2) before; torchvision 0
        QTest::newRow("pad 3") << 221 << -2 << -1;
        QTest::newRow("pad 4") << 220 << -2 << -2;
    }
    void cropRounding()
    {
        QFETCH(int, resized);
        QFETCH(int, floorOffset);
        QFETCH(int, roundOffset);
        PreprocessParams p;
        p.doResize = false;
        const PreprocessGeometry f = preprocessGeometry(resized, resized, p);
        QCOMPARE(f.top, floorOffset);
        QCOMPARE(f.left, floorOffset);
        QCOMPARE(f.outHeight, 224);
        p.crop = CropRounding::Round;
        const PreprocessGeometry r = preprocessGeometry(resized, resized, p);
        QCOMPARE(r.top, roundOffset);
        QCOMPARE(r.left, roundOffset);
    }

    // FNV-1a of Pillow 9.4.0 Image.resize(BICUBIC) of patternImage (modes L, RGB, CMYK).
    void pilReference_data()
    {
        addResizeColumns();
        QTest::addColumn<quint64>("hash");
        QTest::newRow("vga down") << 480 << 640 << 3 << 224 << 298 << Q_UINT64_C(0x3e8aa2e4be48d3f0);
        QTest::newRow("odd down") << 7 << 13 << 3 << 3 << 5 << Q_UINT64_C(0x27bf60251d1b9299);
        QTest::newRow("odd up") << 5 << 4 << 3 << 11 << 9 << Q_UINT64_C(0xfcd32d903840cf18);
        QTest::newRow("1xN up") << 1 << 6 << 3 << 224 << 1344 << Q_UINT64_C(0x323d721f9d02e765);
        QTest::newRow("Nx1 gray down") << 9 << 1 << 1 << 2 << 1 << Q_UINT64_C(0x09a21c07b624331d);
        QTest::newRow("slight up") << 223 << 225 << 3 << 224 << 226 << Q_UINT64_C(0xaa20c510f7afa552);
        QTest::newRow("4 bands") << 64 << 48 << 4 << 29 << 31 << Q_UINT64_C(0x6e9d2e2e4678180a);
        QTest::newRow("horizontal only") << 224 << 300 << 3 << 224 << 301 << Q_UINT64_C(0xf7945c8fd3a03470);
        QTest::newRow("vertical only") << 300 << 224 << 3 << 301 << 224 << Q_UINT64_C(0xf822156872252055);
        QTest::newRow("4.5x down") << 1000 << 999 << 3 << 224 << 224 << Q_UINT64_C(0x759518f5c583e471);
        QTest::newRow("to 1x1") << 2 << 3 << 3 << 1 << 1 << Q_UINT64_C(0x6c9d441b040c4ef1);
    }
    void pilReference()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, c);
        QFETCH(int, oh);
        QFETCH(int, ow);
        QFETCH(quint64, hash);
        const auto src = patternImage(h, w, c);
        std::vector<uint8_t> out(static_cast<std::size_t>(oh) * ow * c);
        resizeBicubicPil(src.data(), h, w, out.data(), oh, ow, c);
        QCOMPARE(fnv1a(out), static_cast<uint64_t>(hash));
    }

    void identitySizeCopies()
    {
        const auto src = randomImage(17, 23, 3, 5);
        std::vector<uint8_t> out(src.size());
        resizeBicubicPil(src.data(), 17, 23, out.data(), 17, 23, 3);
        QVERIFY(out == src);
    }

    // Only the cropped pixels are computed; they must equal resizing everything, then cropping,
    // and the floats must be the reference normalisation of those bytes.
    void cropMatchesFullResize_data()
    {
        addCropColumns();
        QTest::newRow("vga") << 480 << 640 << true << true << 0 << 224 << 224;
        QTest::newRow("vga round") << 480 << 640 << true << true << 1 << 224 << 224;
        QTest::newRow("portrait odd") << 641 << 479 << true << true << 1 << 224 << 224;
        QTest::newRow("upscale") << 100 << 150 << true << true << 0 << 224 << 224;
        QTest::newRow("1xN") << 1 << 640 << true << true << 0 << 224 << 224;
        QTest::newRow("Nx1") << 333 << 1 << true << true << 1 << 224 << 224;
        QTest::newRow("1x1") << 1 << 1 << true << true << 0 << 224 << 224;
        QTest::newRow("no horizontal pass") << 300 << 224 << true << true << 0 << 224 << 224;
        QTest::newRow("identity") << 224 << 224 << true << true << 0 << 224 << 224;
        QTest::newRow("non-square crop") << 480 << 640 << true << true << 0 << 200 << 256;
        QTest::newRow("crop > resized, floor") << 480 << 640 << true << true << 0 << 229 << 301;
        QTest::newRow("crop > resized, round") << 480 << 640 << true << true << 1 << 229 << 301;
        QTest::newRow("no resize, pad") << 101 << 300 << false << true << 0 << 224 << 224;
        QTest::newRow("no resize, pad round") << 101 << 300 << false << true << 1 << 224 << 224;
        QTest::newRow("no crop") << 260 << 390 << true << false << 0 << 224 << 224;
    }
    void cropMatchesFullResize()
    {
        const auto [h, w, p] = fetchCropCase();
        const auto src = randomImage(h, w, 3, static_cast<unsigned>(h * 7919 + w));
        const PreprocessGeometry g = preprocessGeometry(h, w, p);

        std::vector<uint8_t> resized(static_cast<std::size_t>(g.resizedHeight) * g.resizedWidth * 3);
        resizeBicubicPil(src.data(), h, w, resized.data(), g.resizedHeight, g.resizedWidth, 3);
        const auto expected = cropReference(resized, g.resizedHeight, g.resizedWidth, g);

        std::vector<uint8_t> crop(expected.size());
        resizeCropCpu(src.data(), h, w, p, crop.data());
        QVERIFY(crop == expected);

        const std::size_t plane = static_cast<std::size_t>(g.outHeight) * g.outWidth;
        std::vector<float> chw(3 * plane);
        preprocessCpu(src.data(), h, w, p, chw.data());
        for (int c = 0; c < 3; ++c)
            for (std::size_t i = 0; i < plane; ++i)
                if (chw[c * plane + i] != normaliseReference(expected[i * 3 + c], c, p))
                    QFAIL(qPrintable(QStringLiteral("float mismatch at channel %1, pixel %2").arg(c).arg(i)));
    }

    void rescaleAndNormaliseIdentity()
    {
        PreprocessParams p;
        p.doResize = false;
        p.doCrop = false;
        p.rescale = 1.0;
        std::fill(std::begin(p.mean), std::end(p.mean), 0.0f);
        std::fill(std::begin(p.std), std::end(p.std), 1.0f);
        const auto src = randomImage(3, 5, 3, 9);
        std::vector<float> chw(src.size());
        preprocessCpu(src.data(), 3, 5, p, chw.data());
        for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 15; ++i)
                QCOMPARE(chw[c * 15 + i], static_cast<float>(src[i * 3 + c]));
    }

    void batchMatchesSingle()
    {
        const int n = 3, h = 120, w = 161;
        std::vector<uint8_t> batch;
        for (int i = 0; i < n; ++i) {
            const auto img = randomImage(h, w, 3, 100 + i);
            batch.insert(batch.end(), img.begin(), img.end());
        }
        PreprocessParams p;
        const std::size_t outSize = 3 * 224 * 224;
        std::vector<float> all(n * outSize), one(outSize);
        preprocessBatchCpu(batch.data(), n, h, w, p, all.data());
        for (int i = 0; i < n; ++i) {
            preprocessCpu(batch.data() + static_cast<std::size_t>(i) * h * w * 3, h, w, p, one.data());
            QVERIFY(std::equal(one.begin(), one.end(), all.begin() + i * outSize));
        }
    }

    void badArguments()
    {
        std::vector<uint8_t> buf(16);
        std::vector<float> out(3 * 224 * 224);
        PreprocessParams p;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, preprocessCpu(buf.data(), 0, 4, p, out.data()));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, preprocessCpu(nullptr, 4, 4, p, out.data()));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, resizeBicubicPil(buf.data(), 2, 2, buf.data(), 0, 2, 3));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, resizeBicubicPil(buf.data(), 2, 2, buf.data(), 1, 1, 5));
        p.cropWidth = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, preprocessGeometry(4, 4, p));
    }

    // transformers CLIPImageProcessor on the shared fixture: resized bytes exact, pixel_values
    // within the manifest's tolerance.
    void fixture_data()
    {
        QTest::addColumn<int>("index");
        QTest::addColumn<QString>("file");
        QTest::newRow("astronaut 320x320") << 0 << QStringLiteral("image_astronaut_320x320.png");
        QTest::newRow("coffee 390x260") << 1 << QStringLiteral("image_coffee_390x260.png");
        QTest::newRow("chelsea 200x300") << 2 << QStringLiteral("image_chelsea_200x300.png");
    }
    void fixture()
    {
        QFETCH(int, index);
        QFETCH(QString, file);
        if (!std::filesystem::exists(kClipDir / "expected.safetensors"))
            QSKIP(qPrintable(QStringLiteral("fixtures absent: %1").arg(QString::fromStdString(kClipDir.string()))));
#ifndef MODALLENS_TEST_OPENCV
        Q_UNUSED(index);
        Q_UNUSED(file);
        QSKIP("built without OpenCV (MODALLENS_MEDIA=OFF): cannot decode the fixture PNGs");
#else
        std::ifstream manifestFile(kClipDir / "manifest.json");
        const auto manifest = nlohmann::json::parse(manifestFile);
        const auto &image = manifest.at("inputs").at("images").at(index);
        const double atol = manifest.at("tolerances").at("pixel_values").at("atol").get<double>();

        cv::Mat bgr = cv::imread((kClipDir / file.toStdString()).string(), cv::IMREAD_COLOR);
        QVERIFY(!bgr.empty());
        cv::Mat rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        QVERIFY(rgb.isContinuous());
        QCOMPARE(rgb.rows, image.at("height").get<int>());
        QCOMPARE(rgb.cols, image.at("width").get<int>());

        PreprocessParams p; // CLIPImageProcessor defaults = the fixture's preprocessor_config.json
        const PreprocessGeometry g = preprocessGeometry(rgb.rows, rgb.cols, p);
        QCOMPARE(g.resizedHeight, image.at("resized_hw").at(0).get<int>());
        QCOMPARE(g.resizedWidth, image.at("resized_hw").at(1).get<int>());
        QCOMPARE(g.top, image.at("crop_top_left").at(0).get<int>());
        QCOMPARE(g.left, image.at("crop_top_left").at(1).get<int>());

        const auto expected = ml::io::SafetensorsFile::open(kClipDir / "expected.safetensors");
        const torch::Tensor resizedRef = expected->tensor("resized_uint8_" + std::to_string(index)).contiguous();
        QCOMPARE(resizedRef.size(0), static_cast<int64_t>(g.resizedHeight));
        QCOMPARE(resizedRef.size(1), static_cast<int64_t>(g.resizedWidth));
        const uint8_t *ref = resizedRef.data_ptr<uint8_t>();

        std::vector<uint8_t> resized(static_cast<std::size_t>(resizedRef.numel()));
        resizeBicubicPil(rgb.data, rgb.rows, rgb.cols, resized.data(), g.resizedHeight, g.resizedWidth, 3);
        const std::size_t differing = differingBytes(resized.data(), ref, resized.size());
        qInfo("resized %dx%d: %zu of %zu bytes differ", g.resizedHeight, g.resizedWidth, differing, resized.size());
        QCOMPARE(differing, std::size_t {0});

        const torch::Tensor pixels = expected->tensor("pixel_values").contiguous();
        QCOMPARE(pixels.size(0), int64_t {3});
        const std::size_t plane = static_cast<std::size_t>(g.outHeight) * g.outWidth;
        QCOMPARE(static_cast<std::size_t>(pixels[index].numel()), 3 * plane);
        const float *pref = pixels.data_ptr<float>() + index * 3 * plane;
        std::vector<float> chw(3 * plane);
        preprocessCpu(rgb.data, rgb.rows, rgb.cols, p, chw.data());
        const double maxAbs = maxAbsDiff(chw.data(), pref, chw.size());
        qInfo("pixel_values max |diff| %g (atol %g)", maxAbs, atol);
        QVERIFY(maxAbs <= atol);
#endif
    }

    // Indexing's hot loop; reported, never asserted.
    void benchmarkVga()
    {
        const auto src = randomImage(480, 640, 3, 1);
        std::vector<float> chw(3 * 224 * 224);
        PreprocessParams p;
        QBENCHMARK
        {
            preprocessCpu(src.data(), 480, 640, p, chw.data());
        }
    }
};

QTEST_GUILESS_MAIN(TestPreprocess)
#include "test_preprocess.moc"
