// Ref: transformers 4.40 tokenization_utils.py (PreTrainedTokenizer.tokenize, _add_tokens,
// Trie.split), tokenization_utils_base.py (_from_pretrained special tokens, pad,
// clean_up_tokenization).
#include "text/tokenizer_common.h"

#include "common/error.h"
#include "text/bpe.h"
#include "text/regex.h"
#include "text/unicode.h"

#include <algorithm>

namespace ml::text {

namespace {

const std::vector<std::string> kSpecialAttributes
    = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

std::optional<nlohmann::json> readJsonIfExists(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return std::nullopt;
    const std::string text = readTextFile(path, "tokenizer file");
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
    }
}

// A token given as "text" or as {"content": "text", "lstrip": ..., "rstrip": ...}.
std::optional<AddedToken> tokenFromJson(const nlohmann::json &value, const std::filesystem::path &file)
{
    if (value.is_null())
        return std::nullopt;
    AddedToken token;
    if (value.is_string()) {
        token.content = value.get<std::string>();
    } else if (value.is_object() && value.contains("content") && value["content"].is_string()) {
        token.content = value["content"].get<std::string>();
        token.lstrip = value.value("lstrip", false);
        token.rstrip = value.value("rstrip", false);
        token.special = value.value("special", true);
    } else {
        throw Error(file.string() + ": a special token must be a string or {\"content\": ...}, got " + value.dump());
    }
    return token;
}

void readSpecials(const nlohmann::json &json, const std::filesystem::path &file, TokenizerFolderConfig &out)
{
    if (!json.is_object())
        throw Error(file.string() + ": expected a JSON object");
    for (const std::string &attribute : kSpecialAttributes) {
        if (!json.contains(attribute))
            continue;
        if (auto token = tokenFromJson(json[attribute], file)) {
            token->special = true;
            out.specials[attribute] = *token;
        } else {
            out.specials.erase(attribute);
        }
    }
    if (json.contains("additional_special_tokens") && json["additional_special_tokens"].is_array()) {
        out.additionalSpecials.clear();
        for (const auto &value : json["additional_special_tokens"])
            if (auto token = tokenFromJson(value, file))
                out.additionalSpecials.push_back(*token);
    }
}

bool isSpaceAt(const std::u32string &s, std::size_t i)
{
    return isPySpace(s[i]);
}

} // namespace

TokenizerFolderConfig readTokenizerFolderConfig(const std::filesystem::path &dir)
{
    TokenizerFolderConfig out;
    const auto configPath = dir / "tokenizer_config.json";
    if (auto config = readJsonIfExists(configPath)) {
        readSpecials(*config, configPath, out);
        if (config->contains("added_tokens_decoder") && (*config)["added_tokens_decoder"].is_object()) {
            for (const auto &[key, value] : (*config)["added_tokens_decoder"].items()) {
                auto token = tokenFromJson(value, configPath);
                if (!token)
                    continue;
                try {
                    token->id = std::stoll(key);
                } catch (const std::exception &) {
                    throw Error(configPath.string() + ": added_tokens_decoder key \"" + key + "\" is not an id");
                }
                out.addedTokens.push_back(*token);
            }
        }
        out.config = std::move(*config);
    }
    const auto mapPath = dir / "special_tokens_map.json";
    if (auto map = readJsonIfExists(mapPath))
        readSpecials(*map, mapPath, out);
    return out;
}

AddedTokens::AddedTokens(const TokenizerFolderConfig &folder, const std::map<std::string, std::string> &defaults,
    const VocabLookup &vocab, std::size_t vocabSize)
{
    // added_tokens_decoder first: it fixes ids; then the special tokens (transformers adds
    // any that are still missing).
    for (const AddedToken &token : folder.addedTokens)
        add(token, vocab, vocabSize);
    std::map<std::string, AddedToken> specials;
    for (const auto &[attribute, content] : defaults)
        specials[attribute] = AddedToken {content};
    for (const auto &[attribute, token] : folder.specials)
        specials[attribute] = token;
    // Adds the token unless present, marks it special; returns its index into m_tokens.
    const auto addSpecial = [&](const AddedToken &token) {
        add(token, vocab, vocabSize);
        const auto it = std::find_if(
            m_tokens.begin(), m_tokens.end(), [&](const AddedToken &t) { return t.content == token.content; });
        it->special = true;
        return static_cast<std::size_t>(it - m_tokens.begin());
    };
    // An empty special (e.g. "pad_token": "") means the model has none: nothing to add.
    for (const auto &[attribute, token] : specials)
        if (!token.content.empty())
            m_specialIndex[attribute] = addSpecial(token);
    for (const AddedToken &token : folder.additionalSpecials) {
        if (token.content.empty())
            continue;
        const std::size_t index = addSpecial(token);
        m_tokens[index].additional = true;
        m_specialIndex["additional_special_tokens:" + token.content] = index;
    }
    for (std::size_t i = 0; i < m_tokens.size(); ++i)
        m_byLength.push_back(i);
    std::stable_sort(m_byLength.begin(), m_byLength.end(),
        [&](std::size_t a, std::size_t b) { return m_tokens[a].content.size() > m_tokens[b].content.size(); });
}

void AddedTokens::add(AddedToken token, const VocabLookup &vocab, std::size_t vocabSize)
{
    if (token.content.empty() || byContent(token.content))
        return;
    if (token.id < 0) {
        if (auto id = vocab(token.content)) {
            token.id = *id;
        } else {
            std::int64_t next = static_cast<std::int64_t>(vocabSize);
            for (const AddedToken &t : m_tokens)
                next = std::max(next, t.id + 1);
            token.id = next;
        }
    }
    m_tokens.push_back(std::move(token));
}

std::int64_t AddedTokens::largestId() const
{
    std::int64_t out = -1;
    for (const AddedToken &t : m_tokens)
        out = std::max(out, t.id);
    return out;
}

const AddedToken *AddedTokens::special(const std::string &attribute) const
{
    const auto it = m_specialIndex.find(attribute);
    return it == m_specialIndex.end() ? nullptr : &m_tokens[it->second];
}

std::optional<std::int64_t> AddedTokens::specialId(const std::string &attribute) const
{
    const AddedToken *token = special(attribute);
    return token ? std::optional<std::int64_t>(token->id) : std::nullopt;
}

bool AddedTokens::isSpecialId(std::int64_t id) const
{
    return std::any_of(m_specialIndex.begin(), m_specialIndex.end(),
        [&](const auto &entry) { return m_tokens[entry.second].id == id; });
}

bool AddedTokens::isLegacyId(std::int64_t id, std::size_t vocabSize) const
{
    const AddedToken *token = byId(id);
    return token && (!token->special || (token->additional && id >= static_cast<std::int64_t>(vocabSize)));
}

const AddedToken *AddedTokens::byContent(std::string_view content) const
{
    const auto it
        = std::find_if(m_tokens.begin(), m_tokens.end(), [&](const AddedToken &t) { return t.content == content; });
    return it == m_tokens.end() ? nullptr : &*it;
}

const AddedToken *AddedTokens::byId(std::int64_t id) const
{
    const auto it = std::find_if(m_tokens.begin(), m_tokens.end(), [&](const AddedToken &t) { return t.id == id; });
    return it == m_tokens.end() ? nullptr : &*it;
}

std::vector<AddedTokens::Segment> AddedTokens::split(std::string_view text) const
{
    std::vector<Segment> parts;
    std::size_t plainStart = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const AddedToken *found = nullptr;
        for (std::size_t index : m_byLength) {
            if (text.substr(pos).starts_with(m_tokens[index].content)) {
                found = &m_tokens[index];
                break;
            }
        }
        if (!found) {
            ++pos;
            continue;
        }
        parts.push_back({std::string(text.substr(plainStart, pos - plainStart)), nullptr});
        parts.push_back({found->content, found});
        pos += found->content.size();
        plainStart = pos;
    }
    parts.push_back({std::string(text.substr(plainStart)), nullptr});

    // lstrip / rstrip: the token eats the whitespace of its neighbours (Python's str.strip()).
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const AddedToken *token = parts[i].token;
        if (!token)
            continue;
        if (token->rstrip && i + 1 < parts.size() && !parts[i + 1].token) {
            const std::u32string s = decodeUtf8(parts[i + 1].text);
            std::size_t b = 0;
            while (b < s.size() && isSpaceAt(s, b))
                ++b;
            parts[i + 1].text = encodeUtf8(std::u32string_view(s).substr(b));
        }
        if (token->lstrip && i > 0 && !parts[i - 1].token) {
            const std::u32string s = decodeUtf8(parts[i - 1].text);
            std::size_t e = s.size();
            while (e > 0 && isSpaceAt(s, e - 1))
                --e;
            parts[i - 1].text = encodeUtf8(std::u32string_view(s).substr(0, e));
        }
    }
    std::erase_if(parts, [](const Segment &s) { return !s.token && s.text.empty(); });
    return parts;
}

std::string replaceAll(std::string_view text, std::string_view from, std::string_view to)
{
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (true) {
        const std::size_t hit = text.find(from, pos);
        if (hit == std::string::npos)
            break;
        out.append(text, pos, hit - pos).append(to);
        pos = hit + from.size();
    }
    out.append(text, pos);
    return out;
}

std::string cleanUpTokenization(std::string text)
{
    static const std::pair<std::string_view, std::string_view> kReplacements[] = {{" .", "."}, {" ?", "?"}, {" !", "!"},
        {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto &[from, to] : kReplacements)
        text = replaceAll(text, from, to);
    return text;
}

BatchEncoding padBatch(std::vector<std::vector<std::int64_t>> ids, Padding padding, std::size_t maxLength,
    std::optional<std::int64_t> padId, PaddingSide side)
{
    BatchEncoding out;
    std::size_t target = 0;
    if (padding == Padding::Longest) {
        for (const auto &seq : ids)
            target = std::max(target, seq.size());
    } else if (padding == Padding::MaxLength) {
        target = maxLength;
    }
    const bool needsPadding = std::any_of(
        ids.begin(), ids.end(), [&](const std::vector<std::int64_t> &seq) { return seq.size() < target; });
    if (needsPadding && !padId)
        throw Error("cannot pad: this tokenizer has no padding token (pad_token)");
    for (auto &seq : ids) {
        std::vector<std::int64_t> mask(seq.size(), 1);
        if (seq.size() < target) {
            const std::size_t extra = target - seq.size();
            const auto at = side == PaddingSide::Right ? seq.size() : 0;
            seq.insert(seq.begin() + static_cast<std::ptrdiff_t>(at), extra, *padId);
            mask.insert(mask.begin() + static_cast<std::ptrdiff_t>(at), extra, 0);
        }
        out.inputIds.push_back(std::move(seq));
        out.attentionMask.push_back(std::move(mask));
    }
    return out;
}

BatchEncoding encodeBatchWith(const std::vector<std::string> &texts, const EncodeOptions &options,
    std::size_t maxLength, std::span<const std::int64_t> prefix, std::span<const std::int64_t> suffix,
    std::optional<std::int64_t> padId, const std::function<std::vector<std::int64_t>(const std::string &)> &contentIds)
{
    const std::size_t specials = prefix.size() + suffix.size();
    std::vector<std::vector<std::int64_t>> all;
    all.reserve(texts.size());
    for (const std::string &text : texts) {
        std::vector<std::int64_t> content = contentIds(text);
        if (options.truncation && content.size() + specials > maxLength)
            content.resize(maxLength - specials);
        std::vector<std::int64_t> ids;
        ids.reserve(content.size() + specials);
        ids.insert(ids.end(), prefix.begin(), prefix.end());
        ids.insert(ids.end(), content.begin(), content.end());
        ids.insert(ids.end(), suffix.begin(), suffix.end());
        all.push_back(std::move(ids));
    }
    return padBatch(std::move(all), options.padding, maxLength, padId, options.paddingSide);
}

std::optional<std::int64_t> ByteLevelParts::tokenToId(std::string_view token) const
{
    if (const AddedToken *addedToken = added.byContent(token))
        return addedToken->id;
    return bpe.tokenToId(token);
}

std::string ByteLevelParts::idToToken(std::int64_t id) const
{
    if (const std::string *token = bpe.idToToken(id))
        return *token;
    if (const AddedToken *token = added.byId(id))
        return token->content;
    throw Error(std::string(name) + " tokenizer: token id " + std::to_string(id) + " is not in the vocabulary");
}

std::vector<std::int64_t> ByteLevelParts::contentIds(std::string_view text,
    const std::function<std::string(const std::string &)> &normalize, std::optional<std::int64_t> unk,
    std::vector<std::string> *tokens) const
{
    std::vector<std::int64_t> ids;
    for (const AddedTokens::Segment &segment : added.split(text)) {
        if (segment.token) {
            ids.push_back(segment.token->id);
            if (tokens)
                tokens->push_back(segment.token->content);
            continue;
        }
        std::string normalised;
        const std::string &clean = normalize ? (normalised = normalize(segment.text)) : segment.text;
        for (const RegexMatch &m : pattern.findAll(clean)) {
            const std::string word = byteLevelEncode(std::string_view(clean).substr(m.begin, m.end - m.begin));
            for (std::string &token : bpe.encodeWord(word)) {
                const std::optional<std::int64_t> id = bpe.tokenToId(token);
                if (!id && !unk)
                    throw Error(std::string(name) + " tokenizer: token \"" + token
                        + "\" is not in the vocabulary and there is no unk_token");
                ids.push_back(id ? *id : *unk);
                if (tokens)
                    tokens->push_back(std::move(token));
            }
        }
    }
    return ids;
}

std::string ByteLevelParts::decode(std::span<const std::int64_t> ids, bool skipSpecialTokens,
    bool cleanUpTokenizationSpaces, const std::function<std::string(const std::string &)> &toText) const
{
    std::vector<std::string> pieces;
    std::string current;
    for (std::int64_t id : ids) {
        if (skipSpecialTokens && added.isSpecialId(id))
            continue;
        if (added.isLegacyId(id, bpe.vocabSize())) {
            if (!current.empty()) {
                std::string piece = toText(current);
                if (!piece.empty())
                    pieces.push_back(std::move(piece));
                current.clear();
            }
            pieces.push_back(added.byId(id)->content);
            continue;
        }
        current += idToToken(id);
    }
    if (!current.empty())
        pieces.push_back(toText(current));
    std::string text;
    for (std::size_t i = 0; i < pieces.size(); ++i)
        text += (i ? " " : "") + pieces[i];
    return cleanUpTokenizationSpaces ? cleanUpTokenization(std::move(text)) : text;
}

} // namespace ml::text
