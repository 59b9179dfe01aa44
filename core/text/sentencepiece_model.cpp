// Ref: sentencepiece 0.1.97 sentencepiece_model.proto (ModelProto, NormalizerSpec, TrainerSpec),
// sentencepiece_trainer.h; transformers 4.40 LlamaTokenizer.get_spm_processor.
#include "text/sentencepiece_model.h"

#include "common/error.h"
#include "text/llama_tokenizer.h"
#include "text/sentencepiece_module.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string_view>

#ifdef MODALLENS_HAVE_SENTENCEPIECE
#include <dlfcn.h>
#endif

namespace ml::text {

namespace fs = std::filesystem;

namespace {

// --- protobuf wire format: just enough to walk a ModelProto ------------------------------
struct WireField {
    std::uint64_t number = 0;
    unsigned wireType = 0;
    std::size_t begin = 0, end = 0;               // the whole field, tag included
    std::size_t payloadBegin = 0, payloadEnd = 0; // a length-delimited field's bytes
};

bool readVarint(std::string_view bytes, std::size_t &pos, std::uint64_t &value)
{
    value = 0;
    for (unsigned shift = 0; shift < 64 && pos < bytes.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(bytes[pos++]);
        value |= std::uint64_t(byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

void appendVarint(std::string &out, std::uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

// The fields of one message; throws ml::Error naming `file` when they do not parse.
std::vector<WireField> parseFields(std::string_view bytes, const fs::path &file, const char *message)
{
    std::vector<WireField> fields;
    std::size_t pos = 0;
    const auto bad = [&](const std::string &why) {
        return Error(file.string() + ": not a SentencePiece model (" + message + ": " + why + " at byte "
            + std::to_string(pos) + ")");
    };
    while (pos < bytes.size()) {
        WireField f;
        f.begin = pos;
        std::uint64_t tag = 0, value = 0;
        if (!readVarint(bytes, pos, tag))
            throw bad("truncated tag");
        f.number = tag >> 3;
        f.wireType = static_cast<unsigned>(tag & 7);
        if (f.number == 0)
            throw bad("field number 0");
        switch (f.wireType) {
        case 0:
            if (!readVarint(bytes, pos, value))
                throw bad("truncated varint");
            break;
        case 1:
        case 5: {
            const std::size_t size = f.wireType == 1 ? 8 : 4;
            if (bytes.size() - pos < size)
                throw bad("truncated fixed-size value");
            pos += size;
            break;
        }
        case 2:
            if (!readVarint(bytes, pos, value))
                throw bad("truncated length");
            if (value > bytes.size() - pos)
                throw bad("length " + std::to_string(value) + " past the end");
            f.payloadBegin = pos;
            pos += static_cast<std::size_t>(value);
            f.payloadEnd = pos;
            break;
        default:
            throw bad("unsupported wire type " + std::to_string(f.wireType));
        }
        f.end = pos;
        fields.push_back(f);
    }
    return fields;
}

} // namespace

std::string checkModelProto(const std::string &bytes, const fs::path &file, bool disablePrefix)
{
    constexpr std::uint64_t kPieces = 1, kNormalizerSpec = 3, kAddDummyPrefix = 3;
    const std::vector<WireField> fields = parseFields(bytes, file, "ModelProto");
    const bool hasPieces = std::any_of(
        fields.begin(), fields.end(), [&](const WireField &f) { return f.number == kPieces && f.wireType == 2; });
    if (!hasPieces)
        throw Error(file.string() + ": not a SentencePiece model (no pieces)");
    std::string out;
    out.reserve(bytes.size() + 8);
    bool sawNormalizer = false;
    for (const WireField &f : fields) {
        if (f.number != kNormalizerSpec) {
            out.append(bytes, f.begin, f.end - f.begin);
            continue;
        }
        if (f.wireType != 2)
            throw Error(file.string() + ": not a SentencePiece model (normalizer_spec is not a message)");
        sawNormalizer = true;
        const std::string_view spec = std::string_view(bytes).substr(f.payloadBegin, f.payloadEnd - f.payloadBegin);
        std::string rewritten;
        for (const WireField &g : parseFields(spec, file, "normalizer_spec"))
            if (!disablePrefix || g.number != kAddDummyPrefix)
                rewritten.append(spec.substr(g.begin, g.end - g.begin));
        if (disablePrefix)
            rewritten += {static_cast<char>(kAddDummyPrefix << 3), 0}; // varint field 3 = false
        appendVarint(out, kNormalizerSpec << 3 | 2);
        appendVarint(out, rewritten.size());
        out += rewritten;
    }
    if (disablePrefix && !sawNormalizer) // MergeFrom into an absent spec: just the flag
        out += {static_cast<char>(kNormalizerSpec << 3 | 2), 2, static_cast<char>(kAddDummyPrefix << 3), 0};
    return out;
}

namespace {

// --- SentencePiece, through libmodallens_sentencepiece (see text/sentencepiece_module.h) -----
void assignTo(void *context, const char *data, std::size_t size)
{
    static_cast<std::string *>(context)->assign(data, size);
}

struct Collector { // what one call of the module emits
    std::vector<std::string> items;
    std::string error;
    static void item(void *self, const char *data, std::size_t size)
    {
        static_cast<Collector *>(self)->items.emplace_back(data, size);
    }
    static void fail(void *self, const char *data, std::size_t size)
    {
        static_cast<Collector *>(self)->error.assign(data, size);
    }
};

#ifdef MODALLENS_HAVE_SENTENCEPIECE
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND). AddressSanitizer's dlopen aborts on RTLD_DEEPBIND: a library
// bound to itself first would reach libc's malloc, not ASan's (google/sanitizers#611). Our module
// is instrumented and lists libasan ahead of libc, so it binds to ASan's malloc: libc's dlopen is
// called directly.
void *openModule(const std::string &path)
{
    constexpr int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#ifdef __SANITIZE_ADDRESS__
    using Open = void *(*)(const char *, int);
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (const auto libcOpen = libc ? reinterpret_cast<Open>(dlsym(libc, "dlopen")) : nullptr)
        return libcOpen(path.c_str(), flags);
#endif
    return dlopen(path.c_str(), flags);
}

// Loaded once: $MODALLENS_SENTENCEPIECE_MODULE, then the build tree's copy, then the installed one
// (<prefix>/lib/modallens, the prefix being the running program's bin/..).
const MlSpApi &moduleApi()
{
    static const MlSpApi *api = nullptr;
    static std::string failure;
    static std::once_flag once;
    std::call_once(once, [] {
        std::vector<std::string> candidates;
        if (const char *env = std::getenv("MODALLENS_SENTENCEPIECE_MODULE"); env && *env)
            candidates.emplace_back(env);
        candidates.emplace_back(MODALLENS_SENTENCEPIECE_MODULE_BUILD);
        std::error_code ec;
        const fs::path program = fs::read_symlink("/proc/self/exe", ec);
        if (!ec)
            candidates.push_back(
                (program.parent_path().parent_path() / MODALLENS_SENTENCEPIECE_MODULE_INSTALLED).string());
        for (const std::string &path : candidates) {
            if (!fs::exists(path, ec)) {
                failure += (failure.empty() ? "" : "; ") + path + ": not found";
                continue;
            }
            void *handle = openModule(path);
            if (!handle) {
                const char *why = dlerror();
                failure += (failure.empty() ? "" : "; ") + std::string(why ? why : path + ": cannot load");
                continue;
            }
            using Entry = const MlSpApi *(*)();
            const auto entry = reinterpret_cast<Entry>(dlsym(handle, kMlSpApiSymbol));
            const MlSpApi *found = entry ? entry() : nullptr;
            if (found && found->version == kMlSpApiVersion) {
                api = found;
                return;
            }
            failure += (failure.empty() ? "" : "; ") + path + ": not a ModalLens SentencePiece module of this version";
        }
    });
    if (!api)
        throw Error("cannot load the SentencePiece module (" + failure + ")");
    return *api;
}
#else
const MlSpApi &moduleApi()
{
    throw Error("ModalLens was built without SentencePiece (libsentencepiece-dev)");
}
#endif

} // namespace

SentencePieceModel::SentencePieceModel(const std::string &serialized, const fs::path &file) : m_api(&moduleApi())
{
    Collector out;
    m_processor = m_api->load(serialized.data(), serialized.size(), &Collector::fail, &out);
    if (!m_processor)
        throw Error(file.string() + ": not a SentencePiece model (" + out.error + ")");
    if (size() <= 0) {
        m_api->release(m_processor);
        throw Error(file.string() + ": not a SentencePiece model (no pieces)");
    }
}

SentencePieceModel::~SentencePieceModel()
{
    m_api->release(m_processor);
}

std::vector<std::string> SentencePieceModel::encode(const std::string &text) const
{
    Collector out;
    if (m_api->encode(m_processor, text.data(), text.size(), &Collector::item, &Collector::fail, &out) != 0)
        throw Error("SentencePiece cannot encode the text (" + out.error + ")");
    return std::move(out.items);
}

std::string SentencePieceModel::decode(const std::vector<std::string> &pieces) const
{
    std::vector<const char *> data;
    std::vector<std::size_t> sizes;
    for (const std::string &piece : pieces) {
        data.push_back(piece.data());
        sizes.push_back(piece.size());
    }
    Collector out;
    if (m_api->decode(m_processor, data.data(), sizes.data(), pieces.size(), &Collector::item, &Collector::fail, &out)
        != 0)
        throw Error("SentencePiece cannot decode (" + out.error + ")");
    return out.items.empty() ? std::string() : std::move(out.items.front());
}

std::int64_t SentencePieceModel::size() const
{
    return m_api->pieceSize(m_processor);
}

std::int64_t SentencePieceModel::pieceToId(const std::string &piece) const
{
    return m_api->pieceToId(m_processor, piece.data(), piece.size());
}

std::string SentencePieceModel::idToPiece(std::int64_t id) const
{
    std::string piece;
    m_api->idToPiece(m_processor, static_cast<int>(id), &assignTo, &piece);
    return piece;
}

bool SentencePieceModel::isByte(std::int64_t id) const
{
    return m_api->isByte(m_processor, static_cast<int>(id)) != 0;
}

std::int64_t SentencePieceModel::unkId() const
{
    return m_api->unkId(m_processor);
}

void requireSentencePiece()
{
    moduleApi();
}

std::string disableDummyPrefix(const std::string &serialized, const fs::path &file)
{
    return checkModelProto(serialized, file, true);
}

// --- training -----------------------------------------------------------------------------
void trainSentencePiece(
    const std::vector<std::string> &corpus, const fs::path &modelFile, int vocabSize, const std::string &modelType)
{
    const MlSpApi &api = moduleApi();
    if (corpus.empty())
        throw Error(modelFile.string() + ": cannot train a SentencePiece model on an empty corpus");
    // The serialized proto comes back to us (no model_prefix): no path inside, same bytes each time.
    const std::vector<std::pair<std::string, std::string>> args = {
        {"model_type", modelType},
        {"vocab_size", std::to_string(vocabSize)},
        {"character_coverage", "1.0"},
        {"unk_id", "0"},
        {"bos_id", "1"},
        {"eos_id", "2"},
        {"pad_id", "-1"},
        {"unk_piece", "<unk>"},
        {"bos_piece", "<s>"},
        {"eos_piece", "</s>"},
        {"byte_fallback", "true"},
        {"add_dummy_prefix", "true"},
        {"remove_extra_whitespaces", "false"},
        {"allow_whitespace_only_pieces", "true"},
        {"split_digits", "true"},
        {"normalization_rule_name", "identity"},
        {"hard_vocab_limit", "false"},
        {"num_threads", "1"},
        {"shuffle_input_sentence", "false"},
        {"input_sentence_size", "0"},
        {"minloglevel", "2"},
    };
    std::vector<const char *> keys, values, sentences;
    std::vector<std::size_t> sizes;
    for (const auto &[key, value] : args) {
        keys.push_back(key.c_str());
        values.push_back(value.c_str());
    }
    for (const std::string &sentence : corpus) {
        sentences.push_back(sentence.data());
        sizes.push_back(sentence.size());
    }
    Collector out;
    if (api.train(sentences.data(), sizes.data(), sentences.size(), keys.data(), values.data(), args.size(),
            &Collector::item, &Collector::fail, &out)
            != 0
        || out.items.size() != 1)
        throw Error(modelFile.string() + ": SentencePiece training failed (" + out.error + ")");
    std::ofstream file(modelFile, std::ios::binary | std::ios::trunc);
    file.write(out.items.front().data(), static_cast<std::streamsize>(out.items.front().size()));
    file.close();
    if (!file)
        throw Error(modelFile.string() + ": cannot write the SentencePiece model");
}

} // namespace ml::text
