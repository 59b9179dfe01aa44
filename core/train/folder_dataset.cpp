// Folder data sets: listing with std::filesystem (sorted, so runs are reproducible), decoding
// through ml::io when media I/O is built.
#include "train/folder_dataset.h"

#include "common/error.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ml::train {

namespace fs = std::filesystem;

namespace {

bool isHidden(const fs::path &path)
{
    return path.filename().string().starts_with(".");
}

void requireFolder(const fs::path &root, const char *what)
{
    std::error_code ec;
    if (!fs::exists(root, ec))
        throw Error(root.string() + ": no such folder (" + what + ")");
    if (!fs::is_directory(root, ec))
        throw Error(root.string() + ": not a folder (" + what + ")");
}

// The image files below dir, sorted; throws naming a folder that cannot be read.
std::vector<fs::path> listImages(const fs::path &dir, bool recursive)
{
    std::vector<fs::path> files;
    std::error_code ec;
    const auto add = [&files](const fs::directory_entry &e) {
        std::error_code ignored;
        if (e.is_regular_file(ignored) && !isHidden(e.path()) && isImageFile(e.path()))
            files.push_back(e.path());
    };
    if (recursive) {
        fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            if (isHidden(it->path())) { // .git, .thumbnails, ...
                if (it->is_directory())
                    it.disable_recursion_pending();
                continue;
            }
            add(*it);
        }
    } else {
        fs::directory_iterator it(dir, ec), end;
        for (; !ec && it != end; it.increment(ec))
            add(*it);
    }
    if (ec)
        throw Error(dir.string() + ": cannot read the folder (" + ec.message() + ")");
    std::sort(files.begin(), files.end());
    return files;
}

std::string trim(const std::string &text)
{
    const char *ws = " \t\r\n\f\v";
    const std::size_t a = text.find_first_not_of(ws);
    if (a == std::string::npos)
        return {};
    return text.substr(a, text.find_last_not_of(ws) - a + 1);
}

ml::io::RgbImage decode(const fs::path &file)
{
#ifdef MODALLENS_HAVE_MEDIA
    return ml::io::loadImage(file);
#else
    throw Error(file.string() + ": cannot decode images: ModalLens was built without media I/O (MODALLENS_MEDIA)");
#endif
}

} // namespace

bool isImageFile(const fs::path &path)
{
    std::string ext = path.extension().string();
    std::transform(
        ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const char *const kExtensions[] = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"};
    return !isHidden(path) && std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

LabelledFolder LabelledFolder::scan(const fs::path &root, bool recursive)
{
    requireFolder(root, "a labelled folder: one sub-folder of images per class");
    LabelledFolder set;
    set.m_root = root;
    std::vector<fs::path> classDirs;
    std::error_code ec;
    fs::directory_iterator it(root, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code ignored;
        if (it->is_directory(ignored) && !isHidden(it->path()))
            classDirs.push_back(it->path());
    }
    if (ec)
        throw Error(root.string() + ": cannot read the folder (" + ec.message() + ")");
    if (classDirs.empty())
        throw Error(root.string()
            + ": no class sub-folders (a labelled folder holds one sub-folder of images per "
              "class, named after the class)");
    std::sort(classDirs.begin(), classDirs.end());
    for (const fs::path &dir : classDirs) {
        const std::vector<fs::path> files = listImages(dir, recursive);
        if (files.empty())
            throw Error(dir.string() + ": no images in this class folder (.jpg, .png, .webp, .bmp, .tif)");
        const int label = static_cast<int>(set.m_classNames.size());
        std::string name = dir.filename().string();
        set.m_folderNames.push_back(name);
        std::replace(name.begin(), name.end(), '_', ' ');
        set.m_classNames.push_back(name);
        for (const fs::path &file : files)
            set.m_entries.push_back({file, label});
    }
    return set;
}

std::vector<std::size_t> LabelledFolder::countsPerClass() const
{
    std::vector<std::size_t> counts(m_classNames.size(), 0);
    for (const LabelledEntry &e : m_entries)
        ++counts[static_cast<std::size_t>(e.label)];
    return counts;
}

ml::io::RgbImage LabelledFolder::image(std::size_t i) const
{
    return decode(m_entries.at(i).file);
}

CaptionFolder CaptionFolder::scan(const fs::path &root, bool recursive)
{
    requireFolder(root, "an image + caption folder: photo.jpg beside photo.txt");
    CaptionFolder set;
    set.m_root = root;
    for (const fs::path &image : listImages(root, recursive)) {
        fs::path text = image;
        text.replace_extension(".txt");
        std::error_code ec;
        if (!fs::is_regular_file(text, ec)) {
            ++set.m_unpaired;
            continue;
        }
        std::ifstream in(text, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        if (!in)
            throw Error(text.string() + ": cannot read the caption file");
        std::string caption = trim(content.str());
        if (caption.empty()) {
            ++set.m_unpaired;
            continue;
        }
        set.m_entries.push_back({image, std::move(caption)});
    }
    if (set.m_entries.empty())
        throw Error(root.string() + ": no image + caption pairs (each image needs a non-empty caption file of the "
            + "same name, photo.jpg + photo.txt; " + std::to_string(set.m_unpaired) + " images without one)");
    return set;
}

ml::io::RgbImage CaptionFolder::image(std::size_t i) const
{
    return decode(m_entries.at(i).image);
}

} // namespace ml::train
