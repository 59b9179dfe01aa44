// SentencePiece for the tokenizers: a loaded model (through libmodallens_sentencepiece, see
// sentencepiece_module.h), the ModelProto rewrite transformers makes for legacy=false, and the
// trainer behind trainSentencePiece (text/llama_tokenizer.h). Without libsentencepiece-dev at
// build time every entry point throws ml::Error("... built without SentencePiece ...").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct MlSpApi;

namespace ml::text {

class SentencePieceModel {
public:
    // A serialized ModelProto; throws ml::Error naming `file` when SentencePiece rejects it.
    SentencePieceModel(const std::string &serialized, const std::filesystem::path &file);
    ~SentencePieceModel();
    SentencePieceModel(const SentencePieceModel &) = delete;
    SentencePieceModel &operator=(const SentencePieceModel &) = delete;

    // sp.encode(text, out_type=str) and sp.decode(pieces). Safe from several threads at once.
    std::vector<std::string> encode(const std::string &text) const;
    std::string decode(const std::vector<std::string> &pieces) const;
    std::int64_t size() const;                              // get_piece_size()
    std::int64_t pieceToId(const std::string &piece) const; // unkId() when unknown
    std::string idToPiece(std::int64_t id) const;           // 0 <= id < size()
    bool isByte(std::int64_t id) const;                     // a byte-fallback piece "<0x0A>"
    std::int64_t unkId() const;

private:
    const MlSpApi *m_api = nullptr;
    void *m_processor = nullptr;
};

// Throws ml::Error when SentencePiece is unavailable (not built, or its module not found).
void requireSentencePiece();

// Checks the outline of a serialized ModelProto (pieces present, normalizer_spec a message) and,
// with `disableDummyPrefix`, returns it with normalizer_spec.add_dummy_prefix = false (what
// transformers does through protobuf for legacy=false; a later field 3 wins, and an absent spec
// becomes one holding only the flag). Throws ml::Error naming `file` on malformed bytes. Needs
// no SentencePiece.
std::string checkModelProto(const std::string &serialized, const std::filesystem::path &file, bool disableDummyPrefix);
std::string disableDummyPrefix(const std::string &serialized, const std::filesystem::path &file);

} // namespace ml::text
