// writeAnimation (core/io/animation_export.h): GIF and MP4 files of known frames decode back with
// the right frame count, size and colours (GIF exactly for grey frames), cancel removes the file,
// bad paths and extensions name the file, and `denoise --video` writes a decodable animation.
#include "cli_run.h"

#include "common/error.h"
#include "io/animation_export.h"
#include "io/media.h"

#include <QTemporaryDir>
#include <QtTest>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

namespace fs = std::filesystem;
using ml::io::RgbImage;

namespace {

const fs::path kDdpmDir = fs::path(MODALLENS_FIXTURES_DIR) / "ddpm";

RgbImage makeFrame(int width, int height, const std::function<std::array<int, 3>(int x, int y)> &colour)
{
    RgbImage f;
    f.width = width;
    f.height = height;
    f.pixels.resize(std::size_t(width) * height * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const auto c = colour(x, y);
            for (int k = 0; k < 3; ++k)
                f.row(y)[3 * x + k] = std::uint8_t(c[std::size_t(k)]);
        }
    return f;
}

// Grey frames: a diagonal ramp shifted by the frame index, so every frame differs everywhere.
std::vector<RgbImage> greyFrames(int count, int width, int height)
{
    std::vector<RgbImage> frames;
    for (int i = 0; i < count; ++i)
        frames.push_back(makeFrame(width, height, [i](int x, int y) {
            const int v = (x * 7 + y * 13 + i * 29) % 256;
            return std::array<int, 3> {v, v, v};
        }));
    return frames;
}

// Colour frames with large flat areas (codec-friendly): four quadrants whose colours move.
std::vector<RgbImage> colourFrames(int count, int width, int height)
{
    std::vector<RgbImage> frames;
    for (int i = 0; i < count; ++i)
        frames.push_back(makeFrame(width, height, [=](int x, int y) {
            const bool right = x >= width / 2, bottom = y >= height / 2;
            return std::array<int, 3> {
                right ? 200 - 20 * i : 40 + 20 * i, bottom ? 180 : 60, (right != bottom) ? 220 : 30};
        }));
    return frames;
}

// The frame enlarged by an integer factor (nearest), as writeAnimation does before padding.
RgbImage upscale(const RgbImage &f, int factor)
{
    return makeFrame(f.width * factor, f.height * factor, [&](int x, int y) {
        const std::uint8_t *p = f.row(y / factor) + 3 * (x / factor);
        return std::array<int, 3> {p[0], p[1], p[2]};
    });
}

std::vector<RgbImage> decodeAll(const fs::path &path)
{
    ml::io::VideoDecoder decoder(path);
    std::vector<RgbImage> frames;
    ml::io::VideoFrame frame;
    while (decoder.next(frame))
        frames.push_back(std::move(frame.image));
    return frames;
}

// Mean |a - b| over the pixels of a (b may be larger: padded), and the largest difference.
std::pair<double, int> difference(const RgbImage &a, const RgbImage &b)
{
    double sum = 0;
    int worst = 0;
    for (int y = 0; y < a.height; ++y)
        for (int x = 0; x < 3 * a.width; ++x) {
            const int d = std::abs(int(a.row(y)[x]) - int(b.row(y)[x]));
            sum += d;
            worst = std::max(worst, d);
        }
    return {sum / (3.0 * a.width * a.height), worst};
}

std::string fileBytes(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

template<typename F> std::string errorOf(F &&f)
{
    try {
        f();
    } catch (const ml::Error &e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

class TestAnimationExport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    fs::path tmp(const std::string &name) const { return fs::path(m_tmp.path().toStdString()) / name; }

private Q_SLOTS:
    // Grey frames hold fewer than 256 colours: the GIF palette is exact, and so is every pixel.
    void gifOfGreyFramesIsExact()
    {
        const auto frames = greyFrames(7, 20, 12);
        const fs::path out = tmp("grey.gif");
        ml::io::writeAnimation(out, frames, 10.0, 24); // shorter side 12 -> factor 2
        const std::string bytes = fileBytes(out);
        QCOMPARE(bytes.substr(0, 6), std::string("GIF89a"));
        QVERIFY(bytes.find("NETSCAPE2.0") != std::string::npos); // loops

        const auto decoded = decodeAll(out);
        QCOMPARE(int(decoded.size()), 7);
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            QCOMPARE(decoded[i].width, 40);
            QCOMPARE(decoded[i].height, 24);
            QVERIFY2(decoded[i].pixels == upscale(frames[i], 2).pixels, qPrintable(QString("frame %1").arg(i)));
        }
        ml::io::VideoDecoder decoder(out);
        QVERIFY2(std::abs(decoder.info().durationS - 0.7) < 0.02,
            qPrintable(QString("duration %1 s, expected 0.7").arg(decoder.info().durationS)));
    }

    // More than 256 colours: one median-cut palette (no dithering); smooth colour gradients over
    // 16k distinct colours stay within a few levels on average.
    void gifOfManyColoursIsClose()
    {
        std::vector<RgbImage> frames;
        for (int i = 0; i < 4; ++i)
            frames.push_back(makeFrame(64, 64, [i](int x, int y) {
                return std::array<int, 3> {4 * x, 4 * y, (x * y / 16 + 40 * i) % 256};
            }));
        const fs::path out = tmp("colour.gif");
        ml::io::writeAnimation(out, frames, 5.0, 0);
        const auto decoded = decodeAll(out);
        QCOMPARE(int(decoded.size()), 4);
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            QCOMPARE(decoded[i].width, 64);
            const auto [mean, worst] = difference(frames[i], decoded[i]);
            qInfo("frame %zu: mean |diff| %.2f, max %d", i, mean, worst);
            QVERIFY2(mean < 10.0, qPrintable(QString("frame %1: mean difference %2").arg(i).arg(mean)));
            QVERIFY2(worst < 64, qPrintable(QString("frame %1: max difference %2").arg(i).arg(worst)));
        }
    }

    void mp4DecodesWithinCodecTolerance()
    {
        const auto frames = colourFrames(6, 30, 20);
        const fs::path out = tmp("colour.mp4");
        ml::io::writeAnimation(out, frames, 5.0, 64); // shorter side 20 -> factor 4: 120 x 80
        ml::io::VideoDecoder decoder(out);
        QCOMPARE(decoder.info().codec, std::string("h264"));
        QCOMPARE(decoder.info().width, 120);
        QCOMPARE(decoder.info().height, 80);
        QVERIFY(std::abs(decoder.info().fps - 5.0) < 0.01);
        const auto decoded = decodeAll(out);
        QCOMPARE(int(decoded.size()), 6);
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            const auto [mean, worst] = difference(upscale(frames[i], 4), decoded[i]);
            qInfo("frame %zu: mean |diff| %.2f, max %d", i, mean, worst);
            QVERIFY2(mean < 4.0, qPrintable(QString("frame %1: mean difference %2").arg(i).arg(mean)));
        }
    }

    // H.264 needs even sizes: an odd frame is padded by one black row and column.
    void oddSizesArePaddedForVideo()
    {
        std::vector<RgbImage> frames; // flat grey: no chroma edges for the codec to blur
        for (int v : {100, 150, 200})
            frames.push_back(makeFrame(31, 21, [v](int, int) { return std::array<int, 3> {v, v, v}; }));
        const fs::path out = tmp("odd.mkv");
        ml::io::writeAnimation(out, frames, 2.0, 21);
        const auto decoded = decodeAll(out);
        QCOMPARE(int(decoded.size()), 3);
        QCOMPARE(decoded[0].width, 32);
        QCOMPARE(decoded[0].height, 22);
        const double mean = difference(frames[2], decoded[2]).first;
        QVERIFY2(mean < 4.0, qPrintable(QString("mean difference %1").arg(mean)));
        int padding = 0; // the added column and row are black
        for (int y = 0; y < 22; ++y)
            padding = std::max<int>(padding, decoded[2].row(y)[3 * 31 + 1]);
        for (int x = 0; x < 32; ++x)
            padding = std::max<int>(padding, decoded[2].row(21)[3 * x + 1]);
        QVERIFY2(padding < 100, qPrintable(QString("padding green up to %1").arg(padding)));
    }

    void cancelRemovesTheFile()
    {
        for (const std::string name : {"cancel.gif", "cancel.mp4"}) {
            const fs::path out = tmp(name);
            std::vector<int> seen;
            int reportedTotal = 0;
            bool cancelled = false;
            try {
                ml::io::writeAnimation(out, greyFrames(6, 16, 16), 4.0, 32, [&](int done, int total) {
                    seen.push_back(done);
                    reportedTotal = total;
                    return done < 3;
                });
            } catch (const ml::Cancelled &) {
                cancelled = true;
            }
            QVERIFY2(cancelled, name.c_str());
            QCOMPARE(reportedTotal, 6);
            QCOMPARE(seen, (std::vector<int> {1, 2, 3}));
            QVERIFY2(!fs::exists(out), name.c_str());
        }
        // Without a cancel every frame is reported.
        int last = 0;
        ml::io::writeAnimation(tmp("all.gif"), greyFrames(4, 8, 8), 4.0, 8, [&](int done, int) {
            last = done;
            return true;
        });
        QCOMPARE(last, 4);
    }

    void badInputNamesTheFile()
    {
        const auto frames = greyFrames(2, 8, 8);
        const auto unwritable = errorOf([&] { ml::io::writeAnimation(tmp("no_such_dir") / "anim.gif", frames, 4.0); });
        QVERIFY2(
            unwritable.find("anim.gif") != std::string::npos && unwritable.find("cannot create") != std::string::npos,
            unwritable.c_str());
        const auto unwritableVideo
            = errorOf([&] { ml::io::writeAnimation(tmp("no_such_dir") / "anim.mp4", frames, 4.0); });
        QVERIFY2(unwritableVideo.find("anim.mp4") != std::string::npos, unwritableVideo.c_str());

        const auto png = errorOf([&] { ml::io::writeAnimation(tmp("anim.png"), frames, 4.0); });
        QVERIFY2(png.find("anim.png") != std::string::npos && png.find("'.png'") != std::string::npos, png.c_str());
        QVERIFY(!fs::exists(tmp("anim.png")));
        const auto none = errorOf([&] { ml::io::writeAnimation(tmp("anim"), frames, 4.0); });
        // Named by the path as given (here absolute), not only the base name.
        QVERIFY2(none.find(tmp("anim").string() + ": ") == 0 && none.find("no extension") != std::string::npos,
            none.c_str());
        const auto check = errorOf([&] { ml::io::checkAnimationPath("clip.avi"); });
        QVERIFY2(check.find("clip.avi") == 0, check.c_str());
        QCOMPARE(errorOf([] { ml::io::checkAnimationPath("CLIP.GIF"); }), std::string("(no error)"));

        auto mixed = frames;
        mixed.push_back(greyFrames(1, 10, 8)[0]);
        const auto sizes = errorOf([&] { ml::io::writeAnimation(tmp("mixed.gif"), mixed, 4.0); });
        QVERIFY2(
            sizes.find(tmp("mixed.gif").string() + ": ") == 0 && sizes.find("frame 2 is 10x8") != std::string::npos,
            sizes.c_str());
        QVERIFY(!fs::exists(tmp("mixed.gif")));
        const auto empty = errorOf([&] { ml::io::writeAnimation(tmp("empty.mp4"), {}, 4.0); });
        QVERIFY2(empty.find(tmp("empty.mp4").string() + ": ") == 0 && empty.find("no frames") != std::string::npos,
            empty.c_str());
        const auto fps = errorOf([&] { ml::io::writeAnimation(tmp("fps.gif"), frames, 0.0); });
        QVERIFY2(
            fps.find(tmp("fps.gif").string() + ": ") == 0 && fps.find("frame rate") != std::string::npos, fps.c_str());
    }

    // `denoise --video` on the golden fixture model (16 x 16 RGB): 4 steps + the result, each
    // frame x_t | x0 (33 x 16) enlarged 16 times to 528 x 256.
    void denoiseCliWritesVideo()
    {
        if (!fs::exists(kDdpmDir / "diffusion_pytorch_model.safetensors"))
            QSKIP("the golden ddpm fixtures are absent");
        const QString model = QString::fromStdString(kDdpmDir.string());
        const fs::path gif = tmp("trajectory.gif");
        const auto r = runCli({"--json", "--threads", "1", "denoise", "--model", model, "--scheduler", "ddim",
            "--steps", "4", "--seed", "3", "--video", QString::fromStdString(gif.string()), "--fps", "8"});
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QCOMPARE(r.json()["video"].get<std::string>(), gif.string());
        QVERIFY2(r.err.find("writing video") != std::string::npos, r.err.c_str()); // progress on stderr
        const auto frames = decodeAll(gif);
        QCOMPARE(int(frames.size()), 5);
        QCOMPARE(frames[0].width, 528);
        QCOMPARE(frames[0].height, 256);
        // The last frame shows the result twice: its two halves are the same picture.
        const RgbImage &last = frames.back();
        for (int y = 0; y < last.height; y += 16)
            for (int x = 0; x < 256; x += 16)
                for (int k = 0; k < 3; ++k)
                    QCOMPARE(last.row(y)[3 * x + k], last.row(y)[3 * (x + 272) + k]);
        // The 1-pixel gap (16 wide once enlarged) is white; the first x_t is noise, not flat.
        QCOMPARE(int(frames[0].row(100)[3 * 260]), 255);
        QVERIFY(frames[0].row(0)[0] != frames[0].row(0)[3 * 16] || frames[0].row(0)[0] != frames[0].row(16)[0]);

        const fs::path mp4 = tmp("trajectory.mp4");
        const auto v = runCli({"--threads", "1", "denoise", "--model", model, "--steps", "3", "--scheduler", "ddim",
            "--video", QString::fromStdString(mp4.string())});
        QVERIFY2(v.exitCode == 0, v.err.c_str());
        QVERIFY(v.out.find("video: ") != std::string::npos);
        QCOMPARE(int(decodeAll(mp4).size()), 4);

        // A bad name is refused before the run, naming the file.
        const auto bad = runCli({"--threads", "1", "denoise", "--model", model, "--steps", "2", "--video",
            QString::fromStdString(tmp("trajectory.txt").string())});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.find("trajectory.txt") != std::string::npos, bad.err.c_str());
        QCOMPARE(runCli({"denoise", "--model", model, "--fps", "5"}).exitCode, 2); // --fps without --video
    }

    // A disk that fills while a video is exported or a run is checkpointed (a file size limit here:
    // `ulimit -f`, SIGXFSZ ignored, so a write fails as on a full disk): a clear message naming the
    // file, the process ends cleanly, and the earlier export and checkpoint are intact.
    void fullDiskKeepsEarlierFiles()
    {
        if (!fs::exists(kDdpmDir / "diffusion_pytorch_model.safetensors"))
            QSKIP("the golden ddpm fixtures are absent");
        const auto limited = [](const QStringList &args, int kilobytes) {
            return runProgram(QStringLiteral("/bin/bash"),
                QStringList {
                    "-c", QStringLiteral("trap '' XFSZ; ulimit -f %1; exec \"$0\" \"$@\"").arg(kilobytes), cliPath()}
                    + args,
                600000);
        };
        const auto bytes = [](const fs::path &f) {
            std::ifstream in(f, std::ios::binary);
            return std::string(std::istreambuf_iterator<char>(in), {});
        };
        const QString model = QString::fromStdString(kDdpmDir.string());
        const fs::path mp4 = tmp("kept.mp4");
        const QStringList denoise {"--threads", "1", "denoise", "--model", model, "--steps", "3", "--scheduler", "ddim",
            "--video", QString::fromStdString(mp4.string())};
        const auto first = runCli(denoise + QStringList {"--seed", "1"});
        QVERIFY2(first.exitCode == 0, first.err.c_str());
        const std::string kept = bytes(mp4);
        const auto full = limited(denoise + QStringList {"--seed", "2"}, 4);
        QCOMPARE(full.exitCode, 1);
        QVERIFY2(full.err.find(mp4.string() + ": ") != std::string::npos, full.err.c_str());
        QVERIFY2(full.err.find("File too large") != std::string::npos, full.err.c_str());
        QVERIFY(bytes(mp4) == kept);
        for (const auto &e : fs::directory_iterator(mp4.parent_path()))
            QVERIFY2(e.path().filename().string().find(".partial-") == std::string::npos, e.path().c_str());

        // Training: a tiny run, then more steps with no room for the next checkpoint.
        const fs::path run = tmp("run");
        const QStringList train {"--json", "--threads", "1", "train", "ddpm", "--preset", "tiny", "--out",
            QString::fromStdString(run.string())};
        const auto trained = runCli(train + QStringList {"--steps", "2"});
        if (trained.exitCode != 0 && trained.err.find("Fashion-MNIST") != std::string::npos)
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        QVERIFY2(trained.exitCode == 0, trained.err.c_str());
        std::map<std::string, std::string> before;
        for (const auto &e : fs::directory_iterator(run))
            if (e.path().extension() == ".safetensors")
                before[e.path().filename().string()] = bytes(e.path());
        QVERIFY(!before.empty());
        const auto stopped = limited(train + QStringList {"--resume", "--steps", "4"}, 16);
        QCOMPARE(stopped.exitCode, 1);
        QVERIFY2(stopped.err.find(run.string()) != std::string::npos, stopped.err.c_str());
        QVERIFY2(stopped.err.find("File too large") != std::string::npos, stopped.err.c_str());
        for (const auto &[name, content] : before)
            QVERIFY2(bytes(run / name) == content, name.c_str());
        const auto resumed = runCli(train + QStringList {"--resume", "--steps", "4"});
        QVERIFY2(resumed.exitCode == 0, resumed.err.c_str()); // the run goes on from what was kept
    }
};

QTEST_GUILESS_MAIN(TestAnimationExport)
#include "test_animation_export.moc"
