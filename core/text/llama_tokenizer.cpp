// LLaMA tokenizer: added tokens split out, each other chunk through SentencePiece; legacy=false
// prepends "▁" itself, loads the model with add_dummy_prefix off and encodes a chunk that starts
// with a space as "<unk>" + chunk minus the unk's pieces.
// Ref: transformers 4.40 models/llama/tokenization_llama.py (LlamaTokenizer: tokenize,
// _tokenize, unk_token_length, get_spm_processor, convert_tokens_to_string),
// tokenization_utils.py (tokenize's added-token split, convert_ids_to_tokens, _decode).
#include "text/llama_tokenizer.h"

#include "common/error.h"
#include "text/bpe.h"
#include "text/sentencepiece_model.h"
#include "text/tokenizer_common.h"
#include "text/unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <unordered_map>

namespace ml::text {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSpiece = "\xE2\x96\x81"; // U+2581 "▁", SentencePiece's space

bool contains(const std::vector<std::string> &list, const std::string &value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

std::string stripSpaces(const std::string &text, bool left, bool right) // str.lstrip() / str.rstrip()
{
    const std::u32string s = decodeUtf8(text);
    std::size_t b = 0, e = s.size();
    while (left && b < e && isPySpace(s[b]))
        ++b;
    while (right && e > b && isPySpace(s[e - 1]))
        --e;
    return encodeUtf8(std::u32string_view(s).substr(b, e - b));
}

} // namespace

// --- the tokenizer ------------------------------------------------------------------------
struct LlamaTokenizer::Impl {
    struct Added {
        std::string content;
        std::int64_t id = 0;
        bool special = false;    // one of all_special_tokens
        bool additional = false; // one of additional_special_tokens (options.specialAdded)
        bool lstrip = false, rstrip = false;
    };
    std::unique_ptr<SentencePieceModel> sp;
    LlamaTokenizerOptions options;
    std::int64_t pieces = 0;
    std::vector<Added> added;                               // longest content first
    std::unordered_map<std::string, std::size_t> byContent; // -> index into added
    std::unordered_map<std::int64_t, std::size_t> byId;     // -> index into added
    std::set<std::string> specialTokens, legacyAddedTokens; // all_special_tokens, legacy_added_tokens
    std::set<std::int64_t> specialIds;                      // all_special_ids
    std::int64_t bos = 0, eos = 0, unk = 0, vocabSize = 0;
    std::optional<std::int64_t> pad;
    std::size_t unkTokenLength = 0;

    const Added *addedByContent(const std::string &content) const
    {
        const auto it = byContent.find(content);
        return it == byContent.end() ? nullptr : &added[it->second];
    }
    std::string token(std::int64_t id) const // _convert_id_to_token, added tokens first
    {
        if (const auto it = byId.find(id); it != byId.end())
            return added[it->second].content;
        if (id < 0 || id >= pieces)
            throw Error("LLaMA tokenizer: token id " + std::to_string(id) + " is not in the vocabulary (of "
                + std::to_string(vocabSize) + ")");
        return sp->idToPiece(id);
    }
    std::int64_t id(const std::string &piece) const // convert_tokens_to_ids
    {
        const Added *a = addedByContent(piece);
        return a ? a->id : sp->pieceToId(piece);
    }
    std::vector<std::string> spTokenize(const std::string &chunk) const;
    std::vector<std::string> tokenize(std::string text) const;
    std::string tokensToString(std::vector<std::string> tokens) const;
};

std::vector<std::string> LlamaTokenizer::Impl::spTokenize(const std::string &chunk) const
{
    if (options.legacy || !(chunk.starts_with(kSpiece) || chunk.starts_with(' ')))
        return sp->encode(chunk);
    std::vector<std::string> tokens = sp->encode(options.unkToken + chunk); // "<unk>▁Hey": no dummy prefix eaten
    if (tokens.size() >= unkTokenLength)
        tokens.erase(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(unkTokenLength));
    return tokens;
}

std::vector<std::string> LlamaTokenizer::Impl::tokenize(std::string text) const
{
    text = sanitizeUtf8(text);
    const bool prefixed = !options.legacy && !text.empty();
    if (prefixed) {
        text = replaceAll(text, kSpiece, " ");
        if (options.addPrefixSpace)
            text.insert(0, kSpiece);
    }
    // Trie.split: at the earliest position, the longest added token.
    struct Chunk {
        std::string text;
        const Added *token = nullptr;
    };
    std::vector<Chunk> chunks;
    std::size_t plainStart = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const auto hit = std::find_if(added.begin(), added.end(),
            [&](const Added &a) { return std::string_view(text).substr(pos).starts_with(a.content); });
        if (hit == added.end()) {
            ++pos;
            continue;
        }
        chunks.push_back({text.substr(plainStart, pos - plainStart), nullptr});
        chunks.push_back({hit->content, &*hit});
        pos += hit->content.size();
        plainStart = pos;
    }
    chunks.push_back({text.substr(plainStart), nullptr});
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const Added *a = chunks[i].token;
        if (a && a->rstrip && i + 1 < chunks.size() && !chunks[i + 1].token)
            chunks[i + 1].text = stripSpaces(chunks[i + 1].text, true, false);
        if (a && a->lstrip && i > 0 && !chunks[i - 1].token)
            chunks[i - 1].text = stripSpaces(chunks[i - 1].text, false, true);
    }
    std::vector<std::string> tokens;
    for (const Chunk &chunk : chunks) {
        if (chunk.token) {
            tokens.push_back(chunk.text);
        } else if (!chunk.text.empty()) {
            std::vector<std::string> pieces = spTokenize(chunk.text);
            tokens.insert(tokens.end(), std::make_move_iterator(pieces.begin()), std::make_move_iterator(pieces.end()));
        }
    }
    if (prefixed && tokens.size() > 1 && tokens[0] == kSpiece && specialTokens.count(tokens[1]))
        tokens.erase(tokens.begin());
    return tokens;
}

// convert_tokens_to_string: SentencePiece decodes the runs between special tokens.
std::string LlamaTokenizer::Impl::tokensToString(std::vector<std::string> tokens) const
{
    if (!tokens.empty() && tokens[0].starts_with(kSpiece) && options.addPrefixSpace)
        tokens[0].erase(0, kSpiece.size());
    std::vector<std::string> run;
    std::string out;
    bool prevIsSpecial = false;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (specialTokens.count(tokens[i])) {
            if (!prevIsSpecial && i != 0 && options.legacy)
                out += ' ';
            out += sp->decode(run) + tokens[i];
            prevIsSpecial = true;
            run.clear();
        } else {
            if (prevIsSpecial && i == 1 && options.addPrefixSpace && !tokens[i].starts_with(kSpiece))
                out += ' ';
            run.push_back(tokens[i]);
            prevIsSpecial = false;
        }
    }
    return out + sp->decode(run);
}

LlamaTokenizer::LlamaTokenizer(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl))
{ }

LlamaTokenizer LlamaTokenizer::fromModelFile(const fs::path &model, LlamaTokenizerOptions options)
{
    requireSentencePiece();
    auto impl = std::make_shared<Impl>();
    const std::string bytes = readTextFile(model, "SentencePiece model (tokenizer.model)");
    impl->sp = std::make_unique<SentencePieceModel>(checkModelProto(bytes, model, !options.legacy), model);
    impl->pieces = impl->sp->size();

    // The added tokens: the listed ones, then the special tokens (a piece of the model keeps its
    // id, any other token gets the next free id, as _add_tokens does).
    std::vector<Impl::Added> &added = impl->added;
    std::int64_t nextId = impl->pieces;
    const auto add = [&](const std::string &content, std::optional<std::int64_t> id) -> Impl::Added & {
        for (Impl::Added &a : added)
            if (a.content == content)
                return a;
        if (content.empty())
            throw Error("LLaMA tokenizer: an added token is empty");
        if (!id) {
            const std::int64_t piece = impl->sp->pieceToId(content);
            id = piece != impl->sp->unkId() || content == impl->sp->idToPiece(piece) ? piece : nextId;
        }
        nextId = std::max(nextId, *id + 1);
        Impl::Added a;
        a.content = content;
        a.id = *id;
        a.lstrip = contains(options.lstripAdded, content);
        a.rstrip = contains(options.rstripAdded, content);
        added.push_back(a);
        return added.back();
    };
    for (const auto &[content, id] : options.addedTokens)
        add(content, id >= 0 ? std::optional<std::int64_t>(id) : std::nullopt);
    std::vector<std::string> specials = {options.bosToken, options.eosToken, options.unkToken};
    if (options.padToken)
        specials.push_back(*options.padToken);
    for (const std::string &content : specials)
        add(content, std::nullopt).special = true;
    for (const std::string &content : options.specialAdded) {
        Impl::Added &a = add(content, std::nullopt);
        a.special = a.additional = true;
    }
    std::stable_sort(added.begin(), added.end(),
        [](const Impl::Added &a, const Impl::Added &b) { return a.content.size() > b.content.size(); });
    impl->vocabSize = impl->pieces;
    for (std::size_t i = 0; i < added.size(); ++i) {
        const Impl::Added &a = added[i];
        if (!impl->byId.emplace(a.id, i).second)
            throw Error("LLaMA tokenizer: added tokens \"" + a.content + "\" and \"" + added[impl->byId[a.id]].content
                + "\" share the id " + std::to_string(a.id));
        impl->byContent.emplace(a.content, i);
        impl->vocabSize = std::max(impl->vocabSize, a.id + 1);
        if (a.special) {
            impl->specialTokens.insert(a.content);
            impl->specialIds.insert(a.id);
        }
        if (!a.special || (a.additional && a.id >= impl->pieces))
            impl->legacyAddedTokens.insert(a.content);
    }
    impl->bos = impl->addedByContent(options.bosToken)->id;
    impl->eos = impl->addedByContent(options.eosToken)->id;
    impl->unk = impl->addedByContent(options.unkToken)->id;
    if (options.padToken)
        impl->pad = impl->addedByContent(*options.padToken)->id;
    impl->unkTokenLength = impl->sp->encode(options.unkToken).size();
    impl->options = std::move(options);
    return LlamaTokenizer(std::move(impl));
}

namespace {

bool boolOr(const nlohmann::json &config, const char *key, bool fallback)
{
    const auto it = config.find(key);
    return it != config.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::optional<nlohmann::json> readJson(const fs::path &path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;
    try {
        return nlohmann::json::parse(readTextFile(path, "tokenizer file"));
    } catch (const nlohmann::json::exception &e) {
        throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
    }
}

void addFromJson(LlamaTokenizerOptions &options, const std::string &content, std::int64_t id, bool lstrip, bool rstrip)
{
    options.addedTokens.emplace_back(content, id);
    if (lstrip)
        options.lstripAdded.push_back(content);
    if (rstrip)
        options.rstripAdded.push_back(content);
}

// added_tokens.json ({"<image>": 32000}) or tokenizer.json's "added_tokens" ([{"id", "content", ...}]):
// transformers reads them when tokenizer_config.json has no added_tokens_decoder.
void readLegacyAddedTokens(const fs::path &folder, LlamaTokenizerOptions &options)
{
    const fs::path addedFile = folder / "added_tokens.json";
    if (const auto json = readJson(addedFile)) {
        if (!json->is_object())
            throw Error(addedFile.string() + ": expected a JSON object of token -> id");
        for (const auto &[content, id] : json->items()) {
            if (!id.is_number_integer())
                throw Error(addedFile.string() + ": the id of \"" + content + "\" is not an integer");
            addFromJson(options, content, id.get<std::int64_t>(), false, false);
        }
        return;
    }
    const fs::path tokenizerFile = folder / "tokenizer.json";
    const auto json = readJson(tokenizerFile);
    if (!json || !json->is_object() || !json->contains("added_tokens"))
        return;
    const nlohmann::json &list = (*json)["added_tokens"];
    if (!list.is_array())
        throw Error(tokenizerFile.string() + ": \"added_tokens\" is not a list");
    for (const nlohmann::json &token : list) {
        if (!token.is_object() || !token.contains("content") || !token["content"].is_string() || !token.contains("id")
            || !token["id"].is_number_integer())
            throw Error(tokenizerFile.string() + ": an added token needs \"content\" and \"id\", got " + token.dump());
        addFromJson(options, token["content"].get<std::string>(), token["id"].get<std::int64_t>(),
            boolOr(token, "lstrip", false), boolOr(token, "rstrip", false));
    }
}

} // namespace

LlamaTokenizer LlamaTokenizer::fromFolder(const fs::path &folder)
{
    requireSentencePiece();
    const TokenizerFolderConfig config = readTokenizerFolderConfig(folder);
    LlamaTokenizerOptions options;
    options.legacy = boolOr(config.config, "legacy", true); // null: the legacy default
    options.addBos = boolOr(config.config, "add_bos_token", true);
    options.addEos = boolOr(config.config, "add_eos_token", false);
    options.addPrefixSpace = boolOr(config.config, "add_prefix_space", true);
    options.cleanUpTokenizationSpaces = boolOr(config.config, "clean_up_tokenization_spaces", false);
    const auto flags = [&](const AddedToken &token) {
        if (token.lstrip)
            options.lstripAdded.push_back(token.content);
        if (token.rstrip)
            options.rstripAdded.push_back(token.content);
    };
    for (const AddedToken &token : config.addedTokens)
        addFromJson(options, token.content, token.id, token.lstrip, token.rstrip);
    if (config.addedTokens.empty())
        readLegacyAddedTokens(folder, options);
    const auto takeSpecial = [&](const char *attribute, auto &target) {
        const auto it = config.specials.find(attribute);
        if (it == config.specials.end() || it->second.content.empty())
            return;
        target = it->second.content;
        flags(it->second);
    };
    takeSpecial("bos_token", options.bosToken);
    takeSpecial("eos_token", options.eosToken);
    takeSpecial("unk_token", options.unkToken);
    takeSpecial("pad_token", options.padToken);
    for (const AddedToken &token : config.additionalSpecials) {
        options.specialAdded.push_back(token.content);
        flags(token);
    }
    return fromModelFile(folder / "tokenizer.model", std::move(options));
}

std::vector<std::string> LlamaTokenizer::tokenize(const std::string &text) const
{
    return m_impl->tokenize(text);
}

std::vector<std::int64_t> LlamaTokenizer::encode(const std::string &text, bool addSpecialTokens) const
{
    const Impl &impl = *m_impl;
    std::vector<std::int64_t> ids;
    if (addSpecialTokens && impl.options.addBos)
        ids.push_back(impl.bos);
    for (const std::string &token : impl.tokenize(text))
        ids.push_back(impl.id(token));
    if (addSpecialTokens && impl.options.addEos)
        ids.push_back(impl.eos);
    return ids;
}

std::string LlamaTokenizer::decode(const std::vector<std::int64_t> &ids, bool skipSpecialTokens) const
{
    const Impl &impl = *m_impl;
    // _decode: runs of pieces through convert_tokens_to_string, legacy added tokens alone,
    // joined with spaces (spaces_between_special_tokens).
    std::vector<std::string> texts, run;
    for (const std::int64_t id : ids) {
        if (skipSpecialTokens && impl.specialIds.count(id))
            continue;
        std::string token = impl.token(id);
        if (!impl.legacyAddedTokens.count(token)) {
            run.push_back(std::move(token));
            continue;
        }
        if (!run.empty()) {
            std::string text = impl.tokensToString(std::move(run));
            if (!text.empty())
                texts.push_back(std::move(text));
            run.clear();
        }
        texts.push_back(std::move(token));
    }
    if (!run.empty())
        texts.push_back(impl.tokensToString(std::move(run)));
    std::string text;
    for (std::size_t i = 0; i < texts.size(); ++i)
        text += (i ? " " : "") + texts[i];
    return impl.options.cleanUpTokenizationSpaces ? cleanUpTokenization(std::move(text)) : text;
}

std::string LlamaTokenizer::tokenText(std::int64_t id) const
{
    const Impl &impl = *m_impl;
    std::string piece = impl.token(id);
    if (impl.byId.count(id))
        return piece;
    if (impl.sp->isByte(id) && piece.size() == 6) // "<0x0A>"
        return std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
    return replaceAll(piece, kSpiece, " ");
}

std::vector<std::string> LlamaTokenizer::tokens(const std::vector<std::int64_t> &ids) const
{
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (const std::int64_t id : ids)
        out.push_back(m_impl->token(id));
    return out;
}

std::int64_t LlamaTokenizer::bosId() const
{
    return m_impl->bos;
}

std::int64_t LlamaTokenizer::eosId() const
{
    return m_impl->eos;
}

std::int64_t LlamaTokenizer::unkId() const
{
    return m_impl->unk;
}

std::optional<std::int64_t> LlamaTokenizer::padId() const
{
    return m_impl->pad;
}

bool LlamaTokenizer::isSpecial(std::int64_t id) const
{
    return m_impl->specialIds.count(id) > 0;
}

std::optional<std::int64_t> LlamaTokenizer::tokenId(const std::string &piece) const
{
    const Impl &impl = *m_impl;
    if (const Impl::Added *a = impl.addedByContent(piece))
        return a->id;
    const std::int64_t id = impl.sp->pieceToId(piece);
    if (id == impl.sp->unkId() && impl.sp->idToPiece(id) != piece)
        return std::nullopt;
    return id;
}

std::int64_t LlamaTokenizer::pieceCount() const
{
    return m_impl->pieces;
}

std::int64_t LlamaTokenizer::vocabSize() const
{
    return m_impl->vocabSize;
}

const LlamaTokenizerOptions &LlamaTokenizer::options() const
{
    return m_impl->options;
}

} // namespace ml::text
