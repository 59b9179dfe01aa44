// Fuzzes CLIP's tokenizer (text/clip_tokenizer.cpp: ftfy, whitespace clean-up, the pre-split
// regex, byte-level BPE) on arbitrary bytes, and its files (vocab.json, merges.txt, config).
#include "bpe_fuzz.h"
#include "text/clip_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using ml::text::ClipTokenizer;
    static const ClipTokenizer tiny = [] {
        const auto files = ml::fuzz::tinyBpeFiles("</w>", {"<|startoftext|>", "<|endoftext|>"});
        const auto dir = ml::fuzz::scratchPath("tiny-clip");
        std::filesystem::create_directories(dir);
        ml::fuzz::writeText(dir / "vocab.json", files.vocab);
        ml::fuzz::writeText(dir / "merges.txt", files.merges);
        return ClipTokenizer::fromFolder(dir, 16);
    }();
    ml::fuzz::fuzzBpeTokenizer<ClipTokenizer>(
        data, size, tiny, [](const std::filesystem::path &dir) { return ClipTokenizer::fromFolder(dir, 16); });
    return 0;
}
