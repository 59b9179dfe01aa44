// Data sets from plain folders: a labelled folder (one sub-folder per class, for CoOp and
// zero-shot evaluation) and an image + caption folder (photo.jpg beside photo.txt).
#pragma once

#include "io/media.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ml::train {

// Image files by extension (.jpg .jpeg .png .webp .bmp .tif .tiff, any case); hidden files
// (".name") never count.
bool isImageFile(const std::filesystem::path &path);

struct LabelledEntry {
    std::filesystem::path file;
    int label = 0;
};

class LabelledFolder {
public:
    // Classes are the sub-folders of root, sorted by name; a class's images are the image files
    // in its folder (and, when recursive, in the folders below it), sorted by path. The class
    // name is the folder name with '_' read as a space ("ankle_boot" -> "ankle boot").
    // Throws ml::Error naming the folder when root is missing, unreadable or has no class
    // sub-folder, or when a class folder holds no image.
    static LabelledFolder scan(const std::filesystem::path &root, bool recursive = true);

    const std::filesystem::path &root() const { return m_root; }
    const std::vector<std::string> &classNames() const { return m_classNames; }
    const std::vector<std::string> &folderNames() const { return m_folderNames; }
    const std::vector<LabelledEntry> &entries() const { return m_entries; }
    std::size_t size() const { return m_entries.size(); }
    std::vector<std::size_t> countsPerClass() const;
    // Decodes entry i (ml::io::loadImage); throws ml::Error naming the file.
    ml::io::RgbImage image(std::size_t i) const;

private:
    std::filesystem::path m_root;
    std::vector<std::string> m_classNames, m_folderNames;
    std::vector<LabelledEntry> m_entries;
};

struct CaptionedEntry {
    std::filesystem::path image;
    std::string caption; // the .txt file's text, whitespace trimmed
};

class CaptionFolder {
public:
    // Every image file with a non-empty side-car of the same stem (photo.jpg + photo.txt), sorted
    // by path; images without a caption are counted in unpaired(). Throws ml::Error naming the
    // folder when it is missing, unreadable or holds no pair, and a caption file that cannot be read.
    static CaptionFolder scan(const std::filesystem::path &root, bool recursive = true);

    const std::filesystem::path &root() const { return m_root; }
    const std::vector<CaptionedEntry> &entries() const { return m_entries; }
    std::size_t size() const { return m_entries.size(); }
    std::size_t unpaired() const { return m_unpaired; }
    ml::io::RgbImage image(std::size_t i) const;

private:
    std::filesystem::path m_root;
    std::vector<CaptionedEntry> m_entries;
    std::size_t m_unpaired = 0;
};

} // namespace ml::train
