// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) from its gzipped IDX files, as Debian's
// dataset-fashion-mnist installs them, with captions for contrastive training.
#pragma once

#include "io/media.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml::train {

// One IDX file (LeCun's MNIST format): big-endian magic 0x000008nn (unsigned bytes, nn
// dimensions), the dimensions, then the bytes. Gzipped or plain (zlib reads both).
struct IdxArray {
    std::vector<std::uint32_t> dims;
    std::vector<std::uint8_t> data;
};
// Throws ml::Error naming the file when it is missing, not IDX, not of `expectedDims` unsigned-byte
// dimensions, truncated, followed by extra bytes, or a corrupt gzip stream.
IdxArray readIdx(const std::filesystem::path &file, int expectedDims);

// Resamples an 8-bit grayscale image (bilinear when enlarging, area average when shrinking) and
// expands it to RGB.
ml::io::RgbImage grayToRgb(const std::uint8_t *gray, int width, int height, int outWidth, int outHeight);

enum class FashionSplit { Train, Test }; // 60,000 / 10,000 images

class FashionMnist {
public:
    static constexpr int kSide = 28;
    static constexpr int kClassCount = 10;

    static std::filesystem::path defaultFolder(); // /usr/share/datasets/fashion-mnist
    // Whether dir holds the images and labels of `split` (".gz" or plain).
    static bool available(FashionSplit split, const std::filesystem::path &dir = defaultFolder());
    // {train,t10k}-images-idx3-ubyte[.gz] and -labels-idx1-ubyte[.gz] from dir. Throws ml::Error
    // naming the file that is missing or malformed, or when images and labels disagree.
    static FashionMnist load(FashionSplit split, const std::filesystem::path &dir = defaultFolder());
    static FashionMnist load(const std::filesystem::path &imagesFile, const std::filesystem::path &labelsFile);

    std::size_t size() const { return m_labels.size(); }
    int label(std::size_t i) const { return m_labels.at(i); }
    const std::vector<std::uint8_t> &labels() const { return m_labels; }
    // 28 x 28 grayscale, row-major, 0 = black background.
    const std::uint8_t *pixels(std::size_t i) const;
    // The image as RGB on its natural black background, resized to side x side.
    ml::io::RgbImage image(std::size_t i, int side = kSide) const;
    std::array<std::size_t, kClassCount> histogram() const;

    // "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    // "Ankle boot".
    static const std::array<std::string, kClassCount> &classNames();
    // The same in captions: "t-shirt", "trouser", ..., "ankle boot".
    static const std::array<std::string, kClassCount> &captionNames();
    // "a photo of {a}", "a black and white picture of {a}", ...: "{a}" is the name with its
    // article ("an ankle boot"), "{}" the bare name.
    static const std::vector<std::string> &captionTemplates();
    // Template `variant % templates` filled with the class's caption name.
    static std::string caption(int label, std::uint64_t variant);
    // "a" or "an" + name.
    static std::string withArticle(const std::string &name);

private:
    std::vector<std::uint8_t> m_images; // N x 28 x 28
    std::vector<std::uint8_t> m_labels;
};

} // namespace ml::train
