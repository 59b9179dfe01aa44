// Fashion-MNIST: IDX files through zlib's gz* (which reads plain files too), validated before
// use, and images resampled separably (bilinear up, area down).
// Ref: http://yann.lecun.com/exdb/mnist/ (IDX format), zalandoresearch/fashion-mnist README.
#include "train/fashion_mnist.h"

#include "common/error.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

struct GzCloser {
    void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to n bytes; throws on a gzip error (corrupt data, bad CRC at the end of the stream).
std::size_t readSome(gzFile f, const fs::path &file, std::uint8_t *out, std::size_t n)
{
    std::size_t done = 0;
    while (done < n) {
        const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
        const int got = gzread(f, out + done, chunk);
        if (got < 0) {
            int code = 0;
            const char *message = gzerror(f, &code);
            throw Error(file.string() + ": corrupt gzip data (" + (message ? message : "unknown error") + ")");
        }
        if (got == 0) {
            int code = Z_OK;
            gzerror(f, &code);
            if (code == Z_BUF_ERROR) // the gzip stream ends before its end marker
                throw Error(file.string() + ": truncated gzip stream (unexpected end of file)");
            break;
        }
        done += static_cast<std::size_t>(got);
    }
    return done;
}

std::string hex32(std::uint32_t v)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", v);
    return text;
}

struct Resample {
    std::vector<int> first; // per output index: the first source index
    std::vector<std::vector<float>> weights;
};

// Weights of a 1-D resampling from n to m samples with pixel centres at i + 0.5.
Resample resampleWeights(int n, int m)
{
    Resample r;
    const double scale = static_cast<double>(n) / m;
    for (int o = 0; o < m; ++o) {
        std::vector<float> w;
        int first = 0;
        if (scale <= 1.0) { // bilinear, edges clamped
            const double src = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(n - 1));
            first = std::min(static_cast<int>(src), n - 1);
            const double f = src - first;
            w = {static_cast<float>(1 - f)};
            if (first + 1 < n)
                w.push_back(static_cast<float>(f));
        } else { // area: the overlap of [o, o + 1) * scale with each source pixel
            const double a = o * scale, b = (o + 1) * scale;
            first = static_cast<int>(a);
            for (int i = first; i < n && i < b; ++i)
                w.push_back(static_cast<float>((std::min<double>(b, i + 1) - std::max<double>(a, i)) / scale));
        }
        r.first.push_back(first);
        r.weights.push_back(std::move(w));
    }
    return r;
}

fs::path findFile(const fs::path &dir, const std::string &name)
{
    for (const std::string &candidate : {name + ".gz", name})
        if (fs::is_regular_file(dir / candidate))
            return dir / candidate;
    throw Error((dir / (name + ".gz")).string() + ": not found (Fashion-MNIST: install dataset-fashion-mnist, or "
        + "point to the folder holding the IDX files)");
}

const char *splitPrefix(FashionSplit split)
{
    return split == FashionSplit::Train ? "train" : "t10k";
}

} // namespace

IdxArray readIdx(const fs::path &file, int expectedDims)
{
    GzHandle f(gzopen(file.c_str(), "rb"));
    if (!f)
        throw Error(file.string() + ": cannot open (" + (fs::exists(file) ? "unreadable" : "no such file") + ")");
    std::uint8_t header[4];
    if (readSome(f.get(), file, header, 4) != 4)
        throw Error(file.string() + ": truncated IDX header (the file is shorter than 4 bytes)");
    const std::uint32_t magic = (std::uint32_t(header[0]) << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
    const std::uint32_t expected = 0x0800u | static_cast<std::uint32_t>(expectedDims);
    if (magic != expected)
        throw Error(file.string() + ": not an IDX file of unsigned bytes with " + std::to_string(expectedDims)
            + " dimensions (magic " + hex32(magic) + ", expected " + hex32(expected) + ")");
    IdxArray idx;
    std::uint64_t total = 1;
    for (int d = 0; d < expectedDims; ++d) {
        std::uint8_t b[4];
        if (readSome(f.get(), file, b, 4) != 4)
            throw Error(file.string() + ": truncated IDX header (dimension " + std::to_string(d) + " missing)");
        const std::uint32_t dim = (std::uint32_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
        idx.dims.push_back(dim);
        total *= dim;
    }
    if (total > (std::uint64_t(1) << 32))
        throw Error(file.string() + ": implausible IDX dimensions (" + std::to_string(total) + " bytes)");
    idx.data.resize(static_cast<std::size_t>(total));
    const std::size_t got = readSome(f.get(), file, idx.data.data(), idx.data.size());
    if (got != idx.data.size())
        throw Error(
            file.string() + ": truncated: " + std::to_string(got) + " of " + std::to_string(total) + " data bytes");
    std::uint8_t extra[256];
    if (const std::size_t more = readSome(f.get(), file, extra, sizeof extra))
        throw Error(file.string() + ": " + (more == sizeof extra ? "more than " : "") + std::to_string(more)
            + " unexpected bytes after the data (the header's dimensions do not match the file)");
    return idx;
}

ml::io::RgbImage grayToRgb(const std::uint8_t *gray, int width, int height, int outWidth, int outHeight)
{
    if (width <= 0 || height <= 0 || outWidth <= 0 || outHeight <= 0)
        throw Error("grayToRgb: empty image size");
    const Resample rx = resampleWeights(width, outWidth), ry = resampleWeights(height, outHeight);
    std::vector<float> rows(static_cast<std::size_t>(height) * outWidth); // horizontal pass
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < outWidth; ++x) {
            float acc = 0;
            for (std::size_t k = 0; k < rx.weights[x].size(); ++k)
                acc += rx.weights[x][k] * gray[y * width + rx.first[x] + static_cast<int>(k)];
            rows[static_cast<std::size_t>(y) * outWidth + x] = acc;
        }
    ml::io::RgbImage image;
    image.width = outWidth;
    image.height = outHeight;
    image.pixels.resize(static_cast<std::size_t>(outWidth) * outHeight * 3);
    for (int y = 0; y < outHeight; ++y)
        for (int x = 0; x < outWidth; ++x) {
            float acc = 0;
            for (std::size_t k = 0; k < ry.weights[y].size(); ++k)
                acc += ry.weights[y][k]
                    * rows[static_cast<std::size_t>(ry.first[y] + static_cast<int>(k)) * outWidth + x];
            const auto v = static_cast<std::uint8_t>(std::clamp(acc, 0.0f, 255.0f) + 0.5f);
            std::uint8_t *px = image.row(y) + 3 * x;
            px[0] = px[1] = px[2] = v;
        }
    return image;
}

fs::path FashionMnist::defaultFolder()
{
    return "/usr/share/datasets/fashion-mnist";
}

bool FashionMnist::available(FashionSplit split, const fs::path &dir)
{
    const std::string prefix = splitPrefix(split);
    for (const std::string &name : {prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"})
        if (!fs::is_regular_file(dir / (name + ".gz")) && !fs::is_regular_file(dir / name))
            return false;
    return true;
}

FashionMnist FashionMnist::load(FashionSplit split, const fs::path &dir)
{
    if (!fs::is_directory(dir))
        throw Error(dir.string()
            + ": no such folder (Fashion-MNIST: install dataset-fashion-mnist, or point to "
              "the folder holding the IDX files)");
    const std::string prefix = splitPrefix(split);
    const fs::path images = findFile(dir, prefix + "-images-idx3-ubyte");
    const fs::path labels = findFile(dir, prefix + "-labels-idx1-ubyte");
    return load(images, labels);
}

FashionMnist FashionMnist::load(const fs::path &imagesFile, const fs::path &labelsFile)
{
    IdxArray images = readIdx(imagesFile, 3);
    IdxArray labels = readIdx(labelsFile, 1);
    if (images.dims[1] != kSide || images.dims[2] != kSide)
        throw Error(imagesFile.string() + ": images are " + std::to_string(images.dims[1]) + "x"
            + std::to_string(images.dims[2]) + ", expected 28x28");
    if (images.dims[0] != labels.dims[0])
        throw Error(labelsFile.string() + ": " + std::to_string(labels.dims[0]) + " labels for the "
            + std::to_string(images.dims[0]) + " images of " + imagesFile.string());
    for (std::size_t i = 0; i < labels.data.size(); ++i)
        if (labels.data[i] >= kClassCount)
            throw Error(labelsFile.string() + ": label " + std::to_string(labels.data[i]) + " of item "
                + std::to_string(i) + " is not a class (0..9)");
    FashionMnist set;
    set.m_images = std::move(images.data);
    set.m_labels = std::move(labels.data);
    return set;
}

const std::uint8_t *FashionMnist::pixels(std::size_t i) const
{
    if (i >= size())
        throw Error("Fashion-MNIST: image " + std::to_string(i) + " of " + std::to_string(size()));
    return m_images.data() + i * kSide * kSide;
}

ml::io::RgbImage FashionMnist::image(std::size_t i, int side) const
{
    return grayToRgb(pixels(i), kSide, kSide, side, side);
}

std::array<std::size_t, FashionMnist::kClassCount> FashionMnist::histogram() const
{
    std::array<std::size_t, kClassCount> counts {};
    for (std::uint8_t label : m_labels)
        ++counts[label];
    return counts;
}

const std::array<std::string, FashionMnist::kClassCount> &FashionMnist::classNames()
{
    static const std::array<std::string, kClassCount> names {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return names;
}

const std::array<std::string, FashionMnist::kClassCount> &FashionMnist::captionNames()
{
    static const std::array<std::string, kClassCount> names {
        "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"};
    return names;
}

const std::vector<std::string> &FashionMnist::captionTemplates()
{
    static const std::vector<std::string> templates {
        "a photo of {a}",
        "a black and white picture of {a}",
        "a small image of {a}",
        "a grayscale photo of {a}",
        "a low resolution photo of {a}",
        "a picture of {a}",
        "an image of {a}",
        "{a}",
        "a photo of the {}",
        "a product photo of {a}",
        "a centered photo of {a}",
        "a black and white photo of the {}",
    };
    return templates;
}

std::string FashionMnist::withArticle(const std::string &name)
{
    const bool vowel = !name.empty() && std::string_view("aeiou").find(name[0]) != std::string_view::npos;
    return (vowel ? "an " : "a ") + name;
}

std::string FashionMnist::caption(int label, std::uint64_t variant)
{
    const std::string &name = captionNames().at(static_cast<std::size_t>(label));
    const std::vector<std::string> &templates = captionTemplates();
    std::string text = templates[variant % templates.size()];
    if (const std::size_t at = text.find("{a}"); at != std::string::npos)
        return text.replace(at, 3, withArticle(name));
    return text.replace(text.find("{}"), 2, name);
}

} // namespace ml::train
