// Conversations as JSON: every field read with its type checked, so a hand-edited or truncated
// file is refused with its name and the field at fault instead of half-loading.
#include "io/conversation.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

namespace ml::io {

namespace {

using nlohmann::json;

constexpr std::size_t kTitleChars = 60;

std::string utcTime(const char *format)
{
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm {};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, format, &tm);
    return buffer;
}

// A field of a JSON object: missing keeps the default; a wrong type throws a message naming it.
template<typename T> void field(const json &j, const char *key, T &out)
{
    if (!j.contains(key) || j.at(key).is_null())
        return;
    try {
        out = j.at(key).get<T>();
    } catch (const json::exception &) {
        throw Error(std::string("\"") + key + "\" has the wrong type (" + j.at(key).dump() + ")");
    }
}

const json &objectAt(const json &j, const char *key)
{
    static const json empty = json::object();
    if (!j.contains(key) || j.at(key).is_null())
        return empty;
    if (!j.at(key).is_object())
        throw Error(std::string("\"") + key + "\" is not an object");
    return j.at(key);
}

const json &arrayAt(const json &j, const char *key)
{
    static const json empty = json::array();
    if (!j.contains(key) || j.at(key).is_null())
        return empty;
    if (!j.at(key).is_array())
        throw Error(std::string("\"") + key + "\" is not a list");
    return j.at(key);
}

json samplingToJson(const SamplingSettings &s)
{
    return {{"greedy", s.greedy}, {"temperature", s.temperature}, {"topK", s.topK}, {"topP", s.topP},
        {"repetitionPenalty", s.repetitionPenalty}, {"seed", s.seed}, {"maxNewTokens", s.maxNewTokens},
        {"stopStrings", s.stopStrings}};
}

SamplingSettings samplingFromJson(const json &j)
{
    SamplingSettings s;
    field(j, "greedy", s.greedy);
    field(j, "temperature", s.temperature);
    field(j, "topK", s.topK);
    field(j, "topP", s.topP);
    field(j, "repetitionPenalty", s.repetitionPenalty);
    field(j, "seed", s.seed);
    field(j, "maxNewTokens", s.maxNewTokens);
    field(j, "stopStrings", s.stopStrings);
    return s;
}

json tokenToJson(const ChatToken &t)
{
    json top = json::array();
    for (const TokenAlternative &a : t.top)
        top.push_back({{"id", a.id}, {"text", a.text}, {"prob", a.prob}});
    return {{"index", t.index}, {"id", t.id}, {"text", t.text}, {"prob", t.prob}, {"top", top}};
}

ChatToken tokenFromJson(const json &j)
{
    if (!j.is_object())
        throw Error("a token is not an object");
    ChatToken t;
    field(j, "index", t.index);
    field(j, "id", t.id);
    field(j, "text", t.text);
    field(j, "prob", t.prob);
    for (const json &a : arrayAt(j, "top")) {
        if (!a.is_object())
            throw Error("an alternative token is not an object");
        TokenAlternative alt;
        field(a, "id", alt.id);
        field(a, "text", alt.text);
        field(a, "prob", alt.prob);
        t.top.push_back(std::move(alt));
    }
    return t;
}

json toJson(const Conversation &c)
{
    json turns = json::array();
    for (const ConversationTurn &t : c.turns) {
        json tokens = json::array();
        for (const ChatToken &token : t.tokens)
            tokens.push_back(tokenToJson(token));
        turns.push_back({{"user", t.user}, {"assistant", t.assistant}, {"stopReason", t.stopReason}, {"time", t.time},
            {"sampling", samplingToJson(t.sampling)}, {"tokens", tokens}});
    }
    json image = {{"path", c.image}, {"sha256", c.imageSha256}};
    if (c.videoTimeS)
        image["videoTimeS"] = *c.videoTimeS;
    return {{"format", kConversationFormat}, {"id", c.id}, {"model", c.model}, {"image", image}, {"created", c.created},
        {"updated", c.updated}, {"turns", turns}};
}

Conversation fromJson(const json &j)
{
    if (!j.is_object())
        throw Error("not a conversation (the top level is not an object)");
    int format = 0;
    field(j, "format", format);
    if (format != kConversationFormat)
        throw Error("not a conversation of format " + std::to_string(kConversationFormat) + " (\"format\" is "
            + (j.contains("format") ? j.at("format").dump() : std::string("missing")) + ")");
    Conversation c;
    field(j, "id", c.id);
    field(j, "model", c.model);
    field(j, "created", c.created);
    field(j, "updated", c.updated);
    const json &image = objectAt(j, "image");
    field(image, "path", c.image);
    field(image, "sha256", c.imageSha256);
    if (image.contains("videoTimeS") && !image.at("videoTimeS").is_null()) {
        double t = 0.0;
        field(image, "videoTimeS", t);
        c.videoTimeS = t;
    }
    for (const json &t : arrayAt(j, "turns")) {
        if (!t.is_object())
            throw Error("a turn is not an object");
        ConversationTurn turn;
        field(t, "user", turn.user);
        field(t, "assistant", turn.assistant);
        field(t, "stopReason", turn.stopReason);
        field(t, "time", turn.time);
        turn.sampling = samplingFromJson(objectAt(t, "sampling"));
        for (const json &token : arrayAt(t, "tokens"))
            turn.tokens.push_back(tokenFromJson(token));
        c.turns.push_back(std::move(turn));
    }
    return c;
}

std::string displayPath(const std::filesystem::path &file)
{
    return file.string();
}

} // namespace

std::string Conversation::title() const
{
    if (turns.empty())
        return {};
    std::string t = turns.front().user;
    std::replace(t.begin(), t.end(), '\n', ' ');
    if (t.size() > kTitleChars) {
        std::size_t cut = kTitleChars;
        while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80)
            --cut; // not inside a UTF-8 sequence
        t = t.substr(0, cut) + "…";
    }
    return t;
}

std::vector<ChatTurn> Conversation::history() const
{
    std::vector<ChatTurn> out;
    out.reserve(turns.size());
    for (const ConversationTurn &t : turns)
        out.push_back({t.user, t.assistant});
    return out;
}

std::string nowIso8601()
{
    return utcTime("%Y-%m-%dT%H:%M:%SZ");
}

std::string newConversationId()
{
    static std::atomic<unsigned> counter {0};
    std::random_device device;
    const unsigned salt = (device() ^ (counter++ * 0x9e3779b9u)) & 0xffffu;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", salt);
    return utcTime("%Y%m%d-%H%M%S-") + suffix;
}

Conversation loadConversation(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(displayPath(file) + ": cannot be opened");
    std::stringstream text;
    text << in.rdbuf();
    json j;
    try {
        j = json::parse(text.str());
    } catch (const json::exception &e) {
        throw Error(displayPath(file) + ": not valid JSON (" + e.what() + ")");
    }
    try {
        Conversation c = fromJson(j);
        if (c.id.empty())
            c.id = file.stem().string();
        return c;
    } catch (const Error &e) {
        throw Error(displayPath(file) + ": " + e.what());
    }
}

void saveConversation(const Conversation &conversation, const std::filesystem::path &file)
{
    std::error_code ec;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ec);
    if (ec)
        throw Error(displayPath(file.parent_path()) + ": cannot create the folder (" + ec.message() + ")");
    std::filesystem::path temp = file;
    temp += ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error(displayPath(file) + ": cannot be written");
        out << toJson(conversation).dump(1);
        out.close();
        if (!out)
            throw Error(displayPath(file) + ": writing failed (disk full?)");
    }
    std::filesystem::rename(temp, file, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        throw Error(displayPath(file) + ": cannot be replaced (" + ec.message() + ")");
    }
}

std::vector<ConversationSummary> listConversations(const std::filesystem::path &dir)
{
    std::vector<ConversationSummary> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return out;
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file(ec) || entry.path().extension() != ".json")
            continue;
        ConversationSummary s;
        s.file = entry.path().string();
        s.id = entry.path().stem().string();
        try {
            const Conversation c = loadConversation(entry.path());
            s.title = c.title();
            s.model = c.model;
            s.image = c.image;
            s.updated = c.updated;
            s.turns = static_cast<int>(c.turns.size());
        } catch (const Error &e) {
            s.error = e.what();
        }
        out.push_back(std::move(s));
    }
    std::stable_sort(out.begin(), out.end(), [](const ConversationSummary &a, const ConversationSummary &b) {
        return a.updated != b.updated ? a.updated > b.updated : a.id > b.id;
    });
    return out;
}

} // namespace ml::io
