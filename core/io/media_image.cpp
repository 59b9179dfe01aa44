// Still images through OpenCV: header sniffing, EXIF orientation, decode to 8-bit RGB, save.
// OpenCV's own EXIF handling is off (it skips IMREAD_UNCHANGED): we read the tag ourselves.
#include "io/media_detail.h"

#include "common/error.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace ml::io {
namespace {

std::uint16_t be16(const std::uint8_t *p)
{
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
std::uint16_t le16(const std::uint8_t *p)
{
    return static_cast<std::uint16_t>(p[1] << 8 | p[0]);
}
std::uint32_t be32(const std::uint8_t *p)
{
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
std::uint32_t le32(const std::uint8_t *p)
{
    return std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}
std::uint32_t le24(const std::uint8_t *p)
{
    return std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}

// Tags of a TIFF structure's first IFD (a TIFF file, or the payload of an EXIF block).
struct TiffTags {
    int width = 0;       // 256 ImageWidth
    int height = 0;      // 257 ImageLength
    int orientation = 1; // 274 Orientation
};

TiffTags readTiffTags(const std::uint8_t *p, std::size_t n)
{
    TiffTags tags;
    if (n < 8)
        return tags;
    const bool little = p[0] == 'I' && p[1] == 'I';
    if (!little && !(p[0] == 'M' && p[1] == 'M'))
        return tags;
    const auto u16 = [&](std::size_t off) { return little ? le16(p + off) : be16(p + off); };
    const auto u32 = [&](std::size_t off) { return little ? le32(p + off) : be32(p + off); };
    if (u16(2) != 42)
        return tags;
    const std::size_t ifd = u32(4);
    if (ifd + 2 > n)
        return tags;
    const int count = u16(ifd);
    for (int i = 0; i < count; ++i) {
        const std::size_t e = ifd + 2 + 12 * static_cast<std::size_t>(i);
        if (e + 12 > n)
            break;
        const int type = u16(e + 2); // 3 SHORT, 4 LONG: the value sits in the entry itself
        const std::uint32_t value = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : 0;
        switch (u16(e)) {
        case 256:
            tags.width = static_cast<int>(std::min<std::uint32_t>(value, INT_MAX));
            break;
        case 257:
            tags.height = static_cast<int>(std::min<std::uint32_t>(value, INT_MAX));
            break;
        case 274:
            tags.orientation = value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
            break;
        }
    }
    return tags;
}

int exifOrientation(const std::uint8_t *p, std::size_t n)
{
    if (n >= 6 && std::memcmp(p, "Exif\0\0", 6) == 0) { // JPEG APP1 style prefix, also seen in WebP
        p += 6;
        n -= 6;
    }
    return readTiffTags(p, n).orientation;
}

void parseJpeg(const std::uint8_t *p, std::size_t n, detail::ImageHeader &h)
{
    bool haveExif = false;
    std::size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF)
            return; // lost sync: let the decoder judge
        const std::uint8_t marker = p[i + 1];
        if (marker == 0xFF) { // fill byte
            ++i;
            continue;
        }
        if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) // EOI, SOS: no frame header before the scan
            return;
        const std::size_t length = be16(p + i + 2);
        if (length < 2)
            return;
        const std::uint8_t *seg = p + i + 4;
        const std::size_t avail = std::min(length - 2, n - (i + 4));
        if (marker == 0xE1 && !haveExif && avail >= 6 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
            h.orientation = exifOrientation(seg, avail);
            haveExif = true;
        }
        const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof && avail >= 5) {
            h.height = be16(seg + 1);
            h.width = be16(seg + 3);
            return;
        }
        i += 2 + length;
    }
}

// The scan's entropy-coded bytes from i: 0xFF is followed by 0x00 (a stuffed byte), a restart
// marker or a fill byte, else it is a marker. Returns the marker's index, or n.
std::size_t nextJpegMarker(const std::uint8_t *p, std::size_t n, std::size_t i)
{
    while (i + 1 < n) {
        const auto *ff = static_cast<const std::uint8_t *>(std::memchr(p + i, 0xFF, n - i - 1));
        if (!ff)
            return n;
        i = static_cast<std::size_t>(ff - p);
        const std::uint8_t next = p[i + 1];
        if (next == 0x00 || next == 0xFF || (next >= 0xD0 && next <= 0xD7))
            i += next == 0xFF ? 1 : 2;
        else
            return i;
    }
    return n;
}

void parsePng(const std::uint8_t *p, std::size_t n, detail::ImageHeader &h)
{
    std::size_t i = 8;
    while (i + 8 <= n) {
        const std::size_t length = be32(p + i);
        const std::uint8_t *type = p + i + 4;
        const std::uint8_t *data = p + i + 8;
        const std::size_t avail = std::min(length, n - (i + 8));
        if (std::memcmp(type, "IHDR", 4) == 0 && avail >= 8) {
            h.width = static_cast<int>(std::min<std::uint32_t>(be32(data), INT_MAX));
            h.height = static_cast<int>(std::min<std::uint32_t>(be32(data + 4), INT_MAX));
        } else if (std::memcmp(type, "eXIf", 4) == 0) {
            h.orientation = exifOrientation(data, avail);
        } else if (std::memcmp(type, "IEND", 4) == 0) {
            return;
        }
        if (length > n) // a length this large cannot be real, and would overflow below
            return;
        i += 12 + length;
    }
}

void parseWebp(const std::uint8_t *p, std::size_t n, detail::ImageHeader &h)
{
    std::size_t i = 12;
    while (i + 8 <= n) {
        const std::uint8_t *fourcc = p + i;
        const std::size_t length = le32(p + i + 4);
        const std::uint8_t *d = p + i + 8;
        const std::size_t avail = std::min(length, n - (i + 8));
        if (std::memcmp(fourcc, "VP8X", 4) == 0 && avail >= 10) {
            h.width = static_cast<int>(le24(d + 4) + 1);
            h.height = static_cast<int>(le24(d + 7) + 1);
        } else if (std::memcmp(fourcc, "VP8 ", 4) == 0 && avail >= 10 && h.width == 0) {
            if (d[3] == 0x9d && d[4] == 0x01 && d[5] == 0x2a) {
                h.width = le16(d + 6) & 0x3fff;
                h.height = le16(d + 8) & 0x3fff;
            }
        } else if (std::memcmp(fourcc, "VP8L", 4) == 0 && avail >= 5 && h.width == 0) {
            if (d[0] == 0x2f) {
                const std::uint32_t bits = le32(d + 1);
                h.width = static_cast<int>((bits & 0x3fff) + 1);
                h.height = static_cast<int>(((bits >> 14) & 0x3fff) + 1);
            }
        } else if (std::memcmp(fourcc, "EXIF", 4) == 0) {
            h.orientation = exifOrientation(d, avail);
        }
        if (length > n)
            return;
        i += 8 + length + (length & 1);
    }
}

void parseBmp(const std::uint8_t *p, std::size_t n, detail::ImageHeader &h)
{
    if (n < 26)
        return;
    const std::uint32_t dibSize = le32(p + 14);
    if (dibSize == 12) {
        h.width = le16(p + 18);
        h.height = le16(p + 20);
    } else if (dibSize >= 40) {
        const auto w = static_cast<std::int32_t>(le32(p + 18));
        const auto ht = static_cast<std::int32_t>(le32(p + 22));
        h.width = w > 0 ? w : 0;
        h.height = ht == INT32_MIN ? 0 : std::abs(ht); // negative height: rows stored top-down
    }
}

[[noreturn]] void failCv(const std::string &name, const std::string &what, const cv::Exception &e)
{
    detail::fail(name, what + " (" + (e.err.empty() ? e.msg : e.err) + ")");
}

// Any depth and channel count OpenCV returns -> 8-bit RGB (BGR order in, RGB out).
cv::Mat toRgb8(const cv::Mat &in)
{
    cv::Mat m = in;
    switch (in.depth()) {
    case CV_8U:
        break;
    case CV_16U:
        in.convertTo(m, CV_8U, 1.0 / 257.0);
        break;
    case CV_32F:
    case CV_64F:
        in.convertTo(m, CV_8U, 255.0); // float images are [0, 1]
        break;
    default: // signed integers: stretch the range that is there
        cv::normalize(in, m, 0, 255, cv::NORM_MINMAX, CV_8U);
        break;
    }
    cv::Mat rgb;
    switch (m.channels()) {
    case 1:
        cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
        return rgb;
    case 3:
        cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
        return rgb;
    case 2:
    case 4: { // composite over white: out = c * a + 255 * (1 - a)
        rgb.create(m.rows, m.cols, CV_8UC3);
        const int cn = m.channels();
        for (int y = 0; y < m.rows; ++y) {
            const std::uint8_t *s = m.ptr<std::uint8_t>(y);
            std::uint8_t *d = rgb.ptr<std::uint8_t>(y);
            for (int x = 0; x < m.cols; ++x, s += cn, d += 3) {
                const int a = s[cn - 1];
                const int white = 255 * (255 - a) + 127;
                const auto mix = [&](int c) { return static_cast<std::uint8_t>((c * a + white) / 255); };
                if (cn == 2) {
                    d[0] = d[1] = d[2] = mix(s[0]);
                } else {
                    d[0] = mix(s[2]);
                    d[1] = mix(s[1]);
                    d[2] = mix(s[0]);
                }
            }
        }
        return rgb;
    }
    default:
        throw Error("unsupported channel count " + std::to_string(m.channels()));
    }
}

// EXIF orientation 1..8 -> as displayed (same steps as OpenCV's ApplyExifOrientation).
cv::Mat applyOrientation(const cv::Mat &m, int orientation)
{
    cv::Mat out;
    switch (orientation) {
    case 2:
        cv::flip(m, out, 1);
        return out;
    case 3:
        cv::flip(m, out, -1);
        return out;
    case 4:
        cv::flip(m, out, 0);
        return out;
    case 5:
        cv::transpose(m, out);
        return out;
    case 6:
        cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE);
        return out;
    case 7:
        cv::transpose(m, out);
        cv::flip(out, out, -1);
        return out;
    case 8:
        cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE);
        return out;
    default:
        return m;
    }
}

RgbImage fromMat(const cv::Mat &rgb)
{
    RgbImage image;
    image.width = rgb.cols;
    image.height = rgb.rows;
    image.pixels.resize(static_cast<std::size_t>(rgb.cols) * rgb.rows * 3);
    const std::size_t rowBytes = static_cast<std::size_t>(rgb.cols) * 3;
    for (int y = 0; y < rgb.rows; ++y)
        std::memcpy(image.row(y), rgb.ptr<std::uint8_t>(y), rowBytes);
    return image;
}

cv::Mat wrap(const RgbImage &image) // no copy; OpenCV only reads it
{
    return cv::Mat(image.height, image.width, CV_8UC3, const_cast<std::uint8_t *>(image.pixels.data()));
}

std::string lowerExtension(const std::string &ext)
{
    std::string out = ext.empty() || ext[0] == '.' ? ext : "." + ext;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

} // namespace

namespace detail {

const char *imageFormatName(ImageFormat format)
{
    switch (format) {
    case ImageFormat::Jpeg:
        return "jpeg";
    case ImageFormat::Png:
        return "png";
    case ImageFormat::Webp:
        return "webp";
    case ImageFormat::Bmp:
        return "bmp";
    case ImageFormat::Tiff:
        return "tiff";
    case ImageFormat::None:
        break;
    }
    return "unknown";
}

ImageHeader parseImageHeader(const std::uint8_t *p, std::size_t n)
{
    ImageHeader h;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
        h.format = ImageFormat::Jpeg;
        parseJpeg(p, n, h);
    } else if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        h.format = ImageFormat::Png;
        parsePng(p, n, h);
    } else if (n >= 12 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
        h.format = ImageFormat::Webp;
        parseWebp(p, n, h);
    } else if (n >= 14 && p[0] == 'B' && p[1] == 'M') {
        h.format = ImageFormat::Bmp;
        parseBmp(p, n, h);
    } else if (n >= 4 && (std::memcmp(p, "II*\0", 4) == 0 || std::memcmp(p, "MM\0*", 4) == 0)) {
        h.format = ImageFormat::Tiff;
        const TiffTags tags = readTiffTags(p, n);
        h.width = tags.width; // orientation stays 1: TIFF orientation is left to OpenCV/libtiff
        h.height = tags.height;
    }
    return h;
}

bool jpegIsComplete(const std::uint8_t *p, std::size_t n)
{
    std::size_t i = 2; // after SOI
    bool inScan = false;
    while (i + 1 < n) {
        if (inScan) {
            i = nextJpegMarker(p, n, i);
            if (i + 1 >= n)
                return false;
        }
        if (p[i] != 0xFF)
            return false;
        const std::uint8_t marker = p[i + 1];
        if (marker == 0xD9)
            return true;
        if (marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            i += marker == 0xFF ? 1 : 2;
            continue;
        }
        if (i + 4 > n)
            return false;
        const std::size_t length = be16(p + i + 2);
        if (length < 2)
            return false;
        i += 2 + length;
        inScan = marker == 0xDA; // after SOS's header come its entropy-coded bytes
    }
    return false;
}

// Refuses an image whose header asks for more than kMaxImagePixels at the scale it would decode.
void checkPixelCount(const ImageHeader &header, int reduction, const std::string &name)
{
    const std::int64_t w = (std::int64_t {header.width} + reduction - 1) / reduction;
    const std::int64_t h = (std::int64_t {header.height} + reduction - 1) / reduction;
    if (w * h > kMaxImagePixels)
        fail(name,
            "image too large: " + std::to_string(header.width) + " x " + std::to_string(header.height) + " pixels ("
                + std::to_string(static_cast<std::int64_t>(header.width) * header.height / 1'000'000)
                + " megapixels; at most " + std::to_string(kMaxImagePixels / 1'000'000) + " are decoded)");
}

RgbImage decodeImageScaled(const std::uint8_t *data, std::size_t size, const std::string &name, int maxSide)
{
    if (size == 0)
        fail(name, "file is empty (0 bytes)");
    const ImageHeader header = parseImageHeader(data, size);
    if (header.format == ImageFormat::None)
        fail(name, "not a decodable image (" + describeStart(data, size) + ")");
    if (size > static_cast<std::size_t>(INT_MAX))
        fail(name, "image file too large (over 2 GiB)");

    int flags = cv::IMREAD_UNCHANGED; // keeps 16-bit and alpha; OpenCV applies no EXIF with it
    int reduction = 1;
    if (header.format == ImageFormat::Jpeg) {
        // JPEG has neither alpha nor 16 bits; DCT scaling makes big thumbnails cheap.
        flags = cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION;
        const int longSide = std::max(header.width, header.height);
        if (maxSide > 0 && longSide > 0)
            reduction = longSide >= 8 * maxSide ? 8 : longSide >= 4 * maxSide ? 4 : longSide >= 2 * maxSide ? 2 : 1;
        if (reduction > 1)
            flags = (reduction == 8          ? cv::IMREAD_REDUCED_COLOR_8
                            : reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                                             : cv::IMREAD_REDUCED_COLOR_2)
                | cv::IMREAD_IGNORE_ORIENTATION;
    }
    checkPixelCount(header, reduction, name);
    if (header.format == ImageFormat::Jpeg && !jpegIsComplete(data, size))
        fail(name, "truncated jpeg image (it ends before its end-of-image marker)");
    const std::string format = imageFormatName(header.format);
    cv::Mat decoded;
    try {
        const cv::Mat buffer(1, static_cast<int>(size), CV_8U, const_cast<std::uint8_t *>(data));
        decoded = cv::imdecode(buffer, flags);
    } catch (const cv::Exception &e) {
        if (std::string(e.what()).find("CV_IO_MAX_IMAGE_PIXELS") != std::string::npos)
            fail(name, "image too large (over OpenCV's limit of pixels)"); // its header was not one we read
        failCv(name, "corrupt " + format + " image", e);
    }
    if (decoded.empty())
        fail(name, "truncated or corrupt " + format + " image (the decoder gave up)");
    try {
        if (decoded.depth() == CV_8U && decoded.channels() == 3 && header.orientation == 1) {
            // The common case, straight into the result: a 24 MP photo is 72 MB per copy.
            RgbImage image;
            image.width = decoded.cols;
            image.height = decoded.rows;
            image.pixels.resize(static_cast<std::size_t>(image.width) * image.height * 3);
            cv::Mat dst(image.height, image.width, CV_8UC3, image.pixels.data());
            cv::cvtColor(decoded, dst, cv::COLOR_BGR2RGB);
            return image;
        }
        return fromMat(applyOrientation(toRgb8(decoded), header.orientation));
    } catch (const cv::Exception &e) {
        failCv(name, "cannot convert " + format + " image", e);
    } catch (const Error &e) {
        fail(name, std::string(e.what()) + " in " + format + " image");
    }
}

RgbImage rotateImage(const RgbImage &image, int degreesClockwise)
{
    const int code = degreesClockwise == 90 ? cv::ROTATE_90_CLOCKWISE
        : degreesClockwise == 180           ? cv::ROTATE_180
        : degreesClockwise == 270           ? cv::ROTATE_90_COUNTERCLOCKWISE
                                            : -1;
    if (code < 0 || image.empty())
        return image;
    cv::Mat out;
    cv::rotate(wrap(image), out, code);
    return fromMat(out);
}

} // namespace detail

RgbImage loadImage(const std::filesystem::path &path)
{
    detail::checkMediaFile(path);
    const std::vector<std::uint8_t> data = detail::readFile(path);
    return detail::decodeImageScaled(data.data(), data.size(), detail::nameOf(path), 0);
}

RgbImage decodeImage(const std::uint8_t *data, std::size_t size, const std::string &nameForErrors)
{
    return detail::decodeImageScaled(data, size, nameForErrors, 0);
}

std::vector<std::uint8_t> encodeImage(const RgbImage &image, const std::string &extension, int jpegQuality)
{
    const std::string ext = lowerExtension(extension);
    if (image.empty() || image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
        throw Error("cannot encode an empty or malformed image as " + ext);
    std::vector<int> params;
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".jpe" || ext == ".jfif")
        params = {cv::IMWRITE_JPEG_QUALITY, std::clamp(jpegQuality, 1, 100)};
    else if (ext == ".webp")
        params = {cv::IMWRITE_WEBP_QUALITY, std::clamp(jpegQuality, 1, 101)}; // > 100: lossless
    else if (ext == ".png")
        params = {cv::IMWRITE_PNG_COMPRESSION, 3};
    std::vector<std::uint8_t> out;
    try {
        cv::Mat bgr;
        cv::cvtColor(wrap(image), bgr, cv::COLOR_RGB2BGR);
        if (!cv::imencode(ext, bgr, out, params))
            throw Error("OpenCV could not encode the image as " + ext);
    } catch (const cv::Exception &e) {
        throw Error("cannot encode image as " + ext + " (" + (e.err.empty() ? e.msg : e.err) + ")");
    }
    return out;
}

void saveImage(const RgbImage &image, const std::filesystem::path &path, int jpegQuality)
{
    const std::string ext = lowerExtension(path.extension().string());
    if (guessMediaKind(path) != MediaKind::Image)
        detail::fail(path, "cannot save image (unsupported extension '" + ext + "')");
    std::vector<std::uint8_t> bytes;
    try {
        bytes = encodeImage(image, ext, jpegQuality);
    } catch (const Error &e) {
        detail::fail(path, e.what());
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        detail::fail(path, std::string("cannot write (") + std::strerror(errno) + ")");
    out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out)
        detail::fail(path, "write failed (disk full?)");
}

RgbImage resizeToFit(const RgbImage &image, int maxSide)
{
    const int longSide = std::max(image.width, image.height);
    if (image.empty() || maxSide <= 0 || longSide == maxSide)
        return image;
    const double scale = static_cast<double>(maxSide) / longSide;
    RgbImage out;
    out.width = image.width >= image.height ? maxSide : std::max(1, static_cast<int>(std::lround(image.width * scale)));
    out.height
        = image.height > image.width ? maxSide : std::max(1, static_cast<int>(std::lround(image.height * scale)));
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
    cv::Mat dst(out.height, out.width, CV_8UC3, out.pixels.data());
    cv::resize(wrap(image), dst, dst.size(), 0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    return out;
}

} // namespace ml::io
