// CoOp prompts (Zhou et al. 2022, "Learning to Prompt for Vision-Language Models"): learnt
// context vectors in front of each class name, their file format and the token embeddings they make.
#pragma once

#include "text/clip_tokenizer.h"

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml::clip {

inline constexpr const char *kLearntPromptFormat = "modallens.coop.v1"; // __metadata__ "format"

// A learnt prompt as saved: safetensors with tensor `ctx` and the rest in __metadata__.
struct LearntPrompt {
    torch::Tensor ctx;                // [M, D] unified or [C, M, D] class-specific; float32, CPU
    std::vector<std::string> classes; // the labels it was learnt on, in training order
    bool classSpecific = false;
    std::string model; // name of the model it was learnt on
    std::string templ; // the hand-written template it was compared with
    std::string init;  // the words ctx started from ("" = random)
    std::int64_t shots = 0;
    std::uint64_t seed = 0;
    std::int64_t steps = 0;
    double accuracyBefore = -1.0, accuracyAfter = -1.0; // held-out accuracy; < 0 when not measured
    std::string file;                                   // where it was loaded from ("" when made in memory)
    std::string identity;                               // file + size + modification time: the text-embedding cache key

    std::int64_t contextVectors() const { return ctx.size(-2); } // M
    std::int64_t width() const { return ctx.size(-1); }          // D, the text tower's width
};

// Atomic (temp file + rename). Throws ml::Error naming the file.
void saveLearntPrompt(const std::filesystem::path &path, const LearntPrompt &prompt);
// Throws one ml::Error naming the file for anything wrong: missing, truncated or corrupt
// safetensors, not a learnt prompt (no format tag), `ctx` missing or of a shape that disagrees
// with the metadata, unreadable class list.
LearntPrompt loadLearntPrompt(const std::filesystem::path &path);
// Throws ml::Error naming the prompt's file (or "the learnt prompt") and both widths when the
// prompt was learnt on a text tower of another width than textWidth.
void checkPromptWidth(const LearntPrompt &prompt, std::int64_t textWidth, const std::string &modelName);
// Where each label's context is in a class-specific prompt's ctx (identity order for a unified
// one). Throws ml::Error listing the labels the prompt has no context for, and its classes.
std::vector<std::int64_t> promptClassIndices(const LearntPrompt &prompt, const std::vector<std::string> &labels);

// The prompts [SOT] ctx_1 .. ctx_M [label tokens] [.] [EOT] of a label set as token embeddings,
// as CoOp's PromptLearner: fixed prefix and suffix rows around the context, which is the only
// thing that may carry gradients. Rows are padded (with the pad token) to the longest prompt
// of the set rather than to the context length: attention is causal and pooling takes the EOT
// position, so what follows EOT changes nothing.
class PromptLayout {
public:
    // tokenTable: the text tower's token embeddings [V, D]; prefix and suffix are built on its
    // device. Throws ml::Error when a prompt does not fit in contextLength tokens.
    PromptLayout(const text::ClipTokenizer &tokenizer, const torch::Tensor &tokenTable,
        const std::vector<std::string> &labels, std::int64_t contextVectors, std::int64_t contextLength);

    // ctx: [M, D] shared by every label or [L, M, D] one per label -> [L, T, D].
    torch::Tensor embeds(const torch::Tensor &ctx) const;
    const torch::Tensor &eosIndex() const { return m_eos; } // [L], the EOT position of each row
    std::int64_t length() const { return m_length; }        // T

private:
    std::int64_t m_contextVectors;
    std::int64_t m_length = 0;
    torch::Tensor m_prefix; // [L, 1, D] SOT
    torch::Tensor m_suffix; // [L, T - 1 - M, D] label tokens, ".", EOT, padding
    torch::Tensor m_eos;    // [L] int64
};

// The token ids of words ("a photo of a" -> 4 ids), without SOT/EOT: CoOp's initialisation.
std::vector<std::int64_t> wordTokenIds(const text::ClipTokenizer &tokenizer, const std::string &words);
// A token as text: "photo</w>" -> "photo", special tokens as they are.
std::string tokenText(const text::ClipTokenizer &tokenizer, std::int64_t id);

} // namespace ml::clip
