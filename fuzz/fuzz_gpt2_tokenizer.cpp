// Fuzzes GPT-2's byte-level BPE tokenizer (text/gpt2_tokenizer.cpp, as OPT uses it) on arbitrary
// bytes, and its files (vocab.json, merges.txt, tokenizer_config.json).
#include "bpe_fuzz.h"
#include "text/gpt2_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using ml::text::Gpt2Tokenizer;
    static const Gpt2Tokenizer tiny = [] {
        const auto files = ml::fuzz::tinyBpeFiles("", {"<|endoftext|>", "<pad>"});
        const auto dir = ml::fuzz::scratchPath("tiny-gpt2");
        std::filesystem::create_directories(dir);
        ml::fuzz::writeText(dir / "vocab.json", files.vocab);
        ml::fuzz::writeText(dir / "merges.txt", files.merges);
        ml::fuzz::writeText(
            dir / "tokenizer_config.json", R"({"add_bos_token": true, "model_max_length": 16, "pad_token": "<pad>"})");
        return Gpt2Tokenizer::fromFolder(dir);
    }();
    ml::fuzz::fuzzBpeTokenizer<Gpt2Tokenizer>(
        data, size, tiny, [](const std::filesystem::path &dir) { return Gpt2Tokenizer::fromFolder(dir); });
    return 0;
}
