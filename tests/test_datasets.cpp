// Data sets: Fashion-MNIST from Debian's dataset-fashion-mnist (skipped when absent), IDX files
// that are corrupt in each way we can think of, captions, and the two folder layouts.
#include "common/error.h"
#include "error_of.h"
#include "train/fashion_mnist.h"
#include "train/folder_dataset.h"

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

using namespace ml::train;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> idxBytes(
    std::uint32_t magic, const std::vector<std::uint32_t> &dims, std::size_t dataBytes, std::uint8_t fill = 7)
{
    std::vector<std::uint8_t> out;
    const auto be = [&out](std::uint32_t v) {
        for (int s = 24; s >= 0; s -= 8)
            out.push_back(static_cast<std::uint8_t>(v >> s));
    };
    be(magic);
    for (std::uint32_t d : dims)
        be(d);
    out.insert(out.end(), dataBytes, fill);
    return out;
}

std::uint32_t crc32(const std::vector<std::uint8_t> &data)
{
    std::uint32_t crc = 0xffffffffu;
    for (std::uint8_t b : data) {
        crc ^= b;
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// A gzip member (RFC 1952) of stored deflate blocks (RFC 1951 BTYPE 00): no zlib needed here.
void writeGz(const fs::path &path, const std::vector<std::uint8_t> &bytes)
{
    std::vector<std::uint8_t> gz {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    const auto le = [&gz](std::uint32_t v, int n) {
        for (int i = 0; i < n; ++i)
            gz.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min<std::size_t>(bytes.size() - pos, 65535);
        gz.push_back(pos + n == bytes.size() ? 1 : 0);
        le(static_cast<std::uint32_t>(n), 2);
        le(static_cast<std::uint32_t>(~n & 0xffff), 2);
        gz.insert(gz.end(), bytes.begin() + static_cast<std::ptrdiff_t>(pos),
            bytes.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
    } while (pos < bytes.size());
    le(crc32(bytes), 4);
    le(static_cast<std::uint32_t>(bytes.size()), 4);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(gz.data()), static_cast<std::streamsize>(gz.size()));
}

void writeRaw(const fs::path &path, const std::vector<std::uint8_t> &bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> readRaw(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void touch(const fs::path &path, const std::string &text = "x")
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

} // namespace

class TestDatasets : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    fs::path path(const QString &name) const { return fs::path(m_tmp.filePath(name).toStdString()); }

private Q_SLOTS:
    void fashionMnist()
    {
        if (!FashionMnist::available(FashionSplit::Train) || !FashionMnist::available(FashionSplit::Test))
            QSKIP("Fashion-MNIST not installed (apt install dataset-fashion-mnist): "
                  "/usr/share/datasets/fashion-mnist is absent");
        const FashionMnist train = FashionMnist::load(FashionSplit::Train);
        QCOMPARE(train.size(), std::size_t(60000));
        for (std::size_t count : train.histogram())
            QCOMPARE(count, std::size_t(6000));
        const FashionMnist test = FashionMnist::load(FashionSplit::Test);
        QCOMPARE(test.size(), std::size_t(10000));
        for (std::size_t count : test.histogram())
            QCOMPARE(count, std::size_t(1000));
        // Natural black background, the garment brighter.
        const std::uint8_t *px = train.pixels(0);
        QCOMPARE(int(px[0]), 0);
        QVERIFY(*std::max_element(px, px + 28 * 28) > 200);
        const ml::io::RgbImage small = train.image(0);
        QCOMPARE(small.width, 28);
        for (int i = 0; i < 28 * 28; ++i) // 28 -> 28: the pixels themselves
            QCOMPARE(small.pixels[3 * i + 2], px[i]);
        const ml::io::RgbImage big = train.image(0, 64);
        QCOMPARE(big.width, 64);
        QCOMPARE(big.height, 64);
        QCOMPARE(big.pixels.size(), std::size_t(64 * 64 * 3));
        double meanSmall = 0, meanBig = 0;
        for (int i = 0; i < 28 * 28; ++i)
            meanSmall += px[i] / (28.0 * 28.0);
        for (std::size_t i = 0; i < big.pixels.size(); i += 3) {
            QCOMPARE(big.pixels[i], big.pixels[i + 1]);
            meanBig += big.pixels[i] / (64.0 * 64.0);
        }
        QVERIFY(std::abs(meanSmall - meanBig) < 3.0);
        const QByteArray shots = qgetenv("MODALLENS_SHOTS_DIR");
        if (!shots.isEmpty()) {
#ifdef MODALLENS_HAVE_MEDIA
            // An 8 x 8 sheet at 64 x 64: the first images of the test set, with their captions.
            std::vector<ml::io::RgbImage> images;
            std::ofstream captions(fs::path(shots.toStdString()) / "fashion_mnist.txt");
            for (std::size_t i = 0; i < 64; ++i) {
                images.push_back(test.image(i, 64));
                captions << i << ": " << FashionMnist::caption(test.label(i), i) << "\n";
            }
            ml::io::RgbImage sheet;
            sheet.width = sheet.height = 8 * 66 + 2;
            sheet.pixels.assign(static_cast<std::size_t>(sheet.width) * sheet.height * 3, 90);
            for (std::size_t i = 0; i < 64; ++i)
                for (int y = 0; y < 64; ++y)
                    std::copy_n(images[i].row(y), 64 * 3,
                        sheet.row(2 + static_cast<int>(i / 8) * 66 + y) + 3 * (2 + (i % 8) * 66));
            fs::create_directories(shots.toStdString());
            ml::io::saveImage(sheet, fs::path(shots.toStdString()) / "fashion_mnist.png");
#endif
        }
    }

    void classNamesAndCaptions()
    {
        QCOMPARE(FashionMnist::classNames()[0], std::string("T-shirt/top"));
        QCOMPARE(FashionMnist::classNames()[9], std::string("Ankle boot"));
        QCOMPARE(FashionMnist::captionNames()[0], std::string("t-shirt"));
        QCOMPARE(FashionMnist::captionNames()[9], std::string("ankle boot"));
        QVERIFY(FashionMnist::captionTemplates().size() >= 8);
        QCOMPARE(FashionMnist::caption(7, 0), std::string("a photo of a sneaker"));
        QCOMPARE(FashionMnist::caption(9, 1), std::string("a black and white picture of an ankle boot"));
        QCOMPARE(FashionMnist::caption(8, 2), std::string("a small image of a bag"));
        QCOMPARE(FashionMnist::withArticle("ankle boot"), std::string("an ankle boot"));
        QCOMPARE(FashionMnist::withArticle("t-shirt"), std::string("a t-shirt"));
        const QRegularExpression badArticle("\\ba [aeiou]|\\ban [^aeiou]");
        std::set<std::string> all;
        for (int label = 0; label < 10; ++label)
            for (std::size_t t = 0; t < FashionMnist::captionTemplates().size(); ++t) {
                const std::string caption = FashionMnist::caption(label, t);
                QVERIFY2(!badArticle.match(QString::fromStdString(caption)).hasMatch(), caption.c_str());
                QVERIFY2(caption.find(FashionMnist::captionNames()[label]) != std::string::npos, caption.c_str());
                QVERIFY(caption.find('{') == std::string::npos);
                all.insert(caption);
            }
        QCOMPARE(all.size(), 10 * FashionMnist::captionTemplates().size());
    }

    void idxValidation()
    {
        const fs::path good = path("good-images-idx3-ubyte.gz");
        writeGz(good, idxBytes(0x803, {5, 28, 28}, 5 * 28 * 28));
        const IdxArray idx = readIdx(good, 3);
        QCOMPARE(idx.dims, (std::vector<std::uint32_t> {5, 28, 28}));
        QCOMPARE(idx.data.size(), std::size_t(5 * 28 * 28));
        const fs::path plain = path("plain-labels-idx1-ubyte"); // not gzipped: read as is
        writeRaw(plain, idxBytes(0x801, {5}, 5, 3));
        QCOMPARE(readIdx(plain, 1).data, std::vector<std::uint8_t>(5, 3));

        const fs::path magic = path("magic.gz");
        writeGz(magic, idxBytes(0x1234, {5}, 5));
        QString e = errorOf([&] { readIdx(magic, 1); });
        QVERIFY2(e.contains("magic.gz") && e.contains("magic 0x00001234"), qPrintable(e));
        e = errorOf([&] { readIdx(good, 1); }); // images where labels are expected
        QVERIFY2(e.contains("good-images") && e.contains("0x00000803"), qPrintable(e));

        const fs::path shortData = path("short-idx3.gz");
        writeGz(shortData, idxBytes(0x803, {10, 28, 28}, 5 * 28 * 28));
        e = errorOf([&] { readIdx(shortData, 3); });
        QVERIFY2(e.contains("short-idx3.gz") && e.contains("truncated") && e.contains("3920 of 7840"), qPrintable(e));

        const fs::path header = path("header.gz");
        writeGz(header, {0, 0, 8});
        e = errorOf([&] { readIdx(header, 3); });
        QVERIFY2(e.contains("header.gz") && e.contains("header"), qPrintable(e));

        const fs::path extra = path("extra.gz");
        writeGz(extra, idxBytes(0x801, {5}, 9));
        e = errorOf([&] { readIdx(extra, 1); });
        QVERIFY2(e.contains("extra.gz") && e.contains("4 unexpected bytes"), qPrintable(e));

        // A gzip cut in half, and one with bytes flipped inside the stream.
        std::vector<std::uint8_t> bytes = readRaw(good);
        const fs::path cut = path("cut-images.gz");
        writeRaw(cut, std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
        e = errorOf([&] { readIdx(cut, 3); });
        QVERIFY2(e.contains("cut-images.gz") && (e.contains("truncated") || e.contains("corrupt")), qPrintable(e));
        for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 8; ++i)
            bytes[i] ^= 0x5a;
        const fs::path flipped = path("flipped-images.gz");
        writeRaw(flipped, bytes);
        e = errorOf([&] { readIdx(flipped, 3); });
        QVERIFY2(e.contains("flipped-images.gz") && e.contains("corrupt gzip data"), qPrintable(e)); // CRC-32

        e = errorOf([&] { readIdx(path("missing.gz"), 1); });
        QVERIFY2(e.contains("missing.gz") && e.contains("no such file"), qPrintable(e));
    }

    void fashionFolderErrors()
    {
        const fs::path dir = path("fashion");
        fs::create_directories(dir);
        QString e = errorOf([&] { FashionMnist::load(FashionSplit::Test, dir); });
        QVERIFY2(e.contains("t10k-images-idx3-ubyte.gz") && e.contains("not found"), qPrintable(e));
        QVERIFY(!FashionMnist::available(FashionSplit::Test, dir));
        writeGz(dir / "t10k-images-idx3-ubyte.gz", idxBytes(0x803, {4, 28, 28}, 4 * 28 * 28));
        writeGz(dir / "t10k-labels-idx1-ubyte.gz", idxBytes(0x801, {3}, 3, 1));
        QVERIFY(FashionMnist::available(FashionSplit::Test, dir));
        e = errorOf([&] { FashionMnist::load(FashionSplit::Test, dir); });
        QVERIFY2(e.contains("t10k-labels-idx1-ubyte.gz") && e.contains("3 labels for the 4 images"), qPrintable(e));
        writeGz(dir / "t10k-labels-idx1-ubyte.gz", idxBytes(0x801, {4}, 4, 10));
        e = errorOf([&] { FashionMnist::load(FashionSplit::Test, dir); });
        QVERIFY2(e.contains("label 10"), qPrintable(e));
        writeGz(dir / "t10k-images-idx3-ubyte.gz", idxBytes(0x803, {4, 32, 32}, 4 * 32 * 32));
        e = errorOf([&] { FashionMnist::load(FashionSplit::Test, dir); });
        QVERIFY2(e.contains("t10k-images") && e.contains("32x32, expected 28x28"), qPrintable(e));
        writeGz(dir / "t10k-images-idx3-ubyte.gz", idxBytes(0x803, {4, 28, 28}, 4 * 28 * 28, 200));
        writeGz(dir / "t10k-labels-idx1-ubyte.gz", idxBytes(0x801, {4}, 4, 9));
        const FashionMnist tiny = FashionMnist::load(FashionSplit::Test, dir);
        QCOMPARE(tiny.size(), std::size_t(4));
        QCOMPARE(tiny.label(3), 9);
        const ml::io::RgbImage image = tiny.image(2, 64);
        QCOMPARE(int(image.pixels[0]), 200); // a flat image stays flat through resampling
        QCOMPARE(int(image.pixels.back()), 200);
        e = errorOf([&] { FashionMnist::load(FashionSplit::Train, path("nowhere")); });
        QVERIFY2(e.contains("nowhere") && e.contains("no such folder"), qPrintable(e));
    }

    void resampling()
    {
        std::vector<std::uint8_t> gray(4 * 4);
        for (int i = 0; i < 16; ++i)
            gray[i] = static_cast<std::uint8_t>(i % 4 < 2 ? 0 : 255);     // left half black, right half white
        const ml::io::RgbImage down = grayToRgb(gray.data(), 4, 4, 2, 2); // area: exact halves
        QCOMPARE(int(down.pixels[0]), 0);
        QCOMPARE(int(down.pixels[3]), 255);
        const ml::io::RgbImage up = grayToRgb(gray.data(), 4, 4, 8, 8);
        QCOMPARE(int(up.pixels[0]), 0);
        QCOMPARE(int(up.pixels[3 * 7]), 255);
        QVERIFY(up.pixels[3 * 3] > 0 && up.pixels[3 * 4] < 255); // the edge is interpolated
    }

    void labelledFolder()
    {
        const fs::path root = path("labelled");
        touch(root / "cat" / "b.png");
        touch(root / "cat" / "a.JPG");
        touch(root / "cat" / "deeper" / "c.webp");
        touch(root / "cat" / "notes.txt");
        touch(root / "cat" / ".hidden.png");
        touch(root / "ankle_boot" / "x.jpeg");
        touch(root / ".git" / "objects.png");
        touch(root / "readme.md");
        const LabelledFolder set = LabelledFolder::scan(root);
        QCOMPARE(set.classNames(), (std::vector<std::string> {"ankle boot", "cat"}));
        QCOMPARE(set.folderNames(), (std::vector<std::string> {"ankle_boot", "cat"}));
        QCOMPARE(set.size(), std::size_t(4));
        QCOMPARE(set.entries()[0].file.filename().string(), std::string("x.jpeg"));
        QCOMPARE(set.entries()[0].label, 0);
        QCOMPARE(set.entries()[1].file.filename().string(), std::string("a.JPG"));
        QCOMPARE(set.entries()[3].file.filename().string(), std::string("c.webp"));
        QCOMPARE(set.countsPerClass(), (std::vector<std::size_t> {1, 3}));
        QCOMPARE(LabelledFolder::scan(root, false).size(), std::size_t(3));

        fs::create_directories(path("empty"));
        QString e = errorOf([&] { LabelledFolder::scan(path("empty")); });
        QVERIFY2(e.contains("empty") && e.contains("no class sub-folders"), qPrintable(e));
        fs::create_directories(root / "dog");
        e = errorOf([&] { LabelledFolder::scan(root); });
        QVERIFY2(e.contains("dog") && e.contains("no images"), qPrintable(e));
        e = errorOf([&] { LabelledFolder::scan(path("absent")); });
        QVERIFY2(e.contains("absent") && e.contains("no such folder"), qPrintable(e));
        e = errorOf([&] { LabelledFolder::scan(root / "readme.md"); });
        QVERIFY2(e.contains("not a folder"), qPrintable(e));
    }

    void captionFolder()
    {
        const fs::path root = path("captioned");
        touch(root / "a.png");
        touch(root / "a.txt", "a red circle\n");
        touch(root / "sub" / "b.jpg");
        touch(root / "sub" / "b.txt", "  two shapes: a blue square and a green circle \r\n");
        touch(root / "c.png"); // no caption
        touch(root / "d.png");
        touch(root / "d.txt", " \n"); // empty caption
        const CaptionFolder set = CaptionFolder::scan(root);
        QCOMPARE(set.size(), std::size_t(2));
        QCOMPARE(set.unpaired(), std::size_t(2));
        QCOMPARE(set.entries()[0].caption, std::string("a red circle"));
        QCOMPARE(set.entries()[1].caption, std::string("two shapes: a blue square and a green circle"));
        QCOMPARE(CaptionFolder::scan(root, false).size(), std::size_t(1));

        fs::create_directories(path("nocaptions"));
        touch(path("nocaptions") / "x.png");
        QString e = errorOf([&] { CaptionFolder::scan(path("nocaptions")); });
        QVERIFY2(e.contains("nocaptions") && e.contains("no image + caption pairs") && e.contains("1 images"),
            qPrintable(e));
        fs::create_directories(path("void"));
        e = errorOf([&] { CaptionFolder::scan(path("void")); });
        QVERIFY2(e.contains("void") && e.contains("no image + caption pairs"), qPrintable(e));
    }

    void decodeEntries()
    {
#ifndef MODALLENS_HAVE_MEDIA
        QSKIP("built without media I/O");
#else
        const fs::path root = path("decode");
        fs::create_directories(root / "red");
        ml::io::RgbImage image;
        image.width = 6;
        image.height = 4;
        image.pixels.assign(6 * 4 * 3, 0);
        for (std::size_t i = 0; i < image.pixels.size(); i += 3)
            image.pixels[i] = 230;
        ml::io::saveImage(image, root / "red" / "one.png");
        const LabelledFolder set = LabelledFolder::scan(root);
        const ml::io::RgbImage back = set.image(0);
        QCOMPARE(back.width, 6);
        QVERIFY(back.pixels == image.pixels);
        touch(root / "red" / "broken.png", "not a png");
        const QString e = errorOf([&] { LabelledFolder::scan(root).image(0); });
        QVERIFY2(e.contains("broken.png"), qPrintable(e));
#endif
    }
};

QTEST_GUILESS_MAIN(TestDatasets)
#include "test_datasets.moc"
