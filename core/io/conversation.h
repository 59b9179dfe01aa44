// Saved chat conversations: one JSON file per conversation (the GUI keeps them under
// $XDG_DATA_HOME/ModalLens/conversations/<id>.json), with the model, the image (path and SHA-256), every
// turn with its tokens (ids, probabilities, alternatives) and sampling settings, and the times.
// std types only, so the GUI and the CLI read and write the same files.
#pragma once

#include "engine/chat_service.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ml::io {

inline constexpr int kConversationFormat = 1; // "format" in the file

struct ConversationTurn {
    std::string user;
    std::string assistant;
    std::vector<ChatToken> tokens; // the answer's tokens as generated
    SamplingSettings sampling;     // what produced this answer
    std::string stopReason;        // ChatResult::stopReason
    std::string time;              // when the answer finished, ISO 8601 UTC
};

struct Conversation {
    std::string id; // the file's stem
    std::string model;
    std::string image;
    std::optional<double> videoTimeS; // a video's frame
    std::string imageSha256;
    std::string created, updated; // ISO 8601 UTC
    std::vector<ConversationTurn> turns;

    std::string title() const;             // the first question, shortened ("" when none)
    std::vector<ChatTurn> history() const; // the turns as ChatRequest::history
};

// What a history list shows of a saved file, without its tokens' detail.
struct ConversationSummary {
    std::string id;
    std::string file;
    std::string title;
    std::string model;
    std::string image;
    std::string updated;
    int turns = 0;
    std::string error; // why the file cannot be opened (naming it); "" when fine
};

std::string newConversationId(); // "20261207-013512-7f3a": time first, so names sort by age
std::string nowIso8601();        // "2026-12-07T01:35:12Z"

// Throws ml::Error naming the file for unreadable, non-JSON or malformed files.
Conversation loadConversation(const std::filesystem::path &file);
// Written to a temporary file beside it, then renamed: a crash leaves the old file whole.
// Creates the folder. Throws ml::Error naming the file when it cannot be written.
void saveConversation(const Conversation &conversation, const std::filesystem::path &file);
// Every *.json in dir, newest (updated) first; broken files are listed with their error. A
// missing dir gives an empty list.
std::vector<ConversationSummary> listConversations(const std::filesystem::path &dir);

} // namespace ml::io
