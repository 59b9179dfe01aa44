// What a LLaVA chat turn and its explainers share: the runtime from the model cache, the picture
// (with the probe's hidden region), the formatted and tokenised prompt, and the merged sequence.
#pragma once

#include "engine/chat_service.h"
#include "models/llava/llava_runtime.h"
#include "models/lm/generate.h"

#include <memory>

namespace ml::llava {

struct ChatInput {
    std::shared_ptr<LlavaRuntime> rt;
    std::string dtype, device;
    std::string promptText;              // "" when ids were given
    std::vector<std::int64_t> promptIds; // with the single <image> token
    MergedPrompt merged;                 // the prompt's embeddings, image rows in place
    int gridH = 0, gridW = 0;
    std::vector<std::uint8_t> inputRgb; // the resized, cropped picture the model saw (imageSize^2 RGB)
    int imageSize = 0;
};

struct InputSpec {
    std::string model, image;
    std::optional<double> videoTimeS;
    std::vector<ChatTurn> history;
    std::string prompt;
    std::vector<std::int64_t> promptIds;
    bool rawPrompt = false;
    const std::vector<std::uint8_t> *regionMask = nullptr;
    int regionWidth = 0, regionHeight = 0;
    const std::vector<int> *hiddenPatches = nullptr;
    ComputeOptions compute;
    int maxNewTokens = 1; // a prompt too long is cut to leave room for this much answer
};

// The picture, prompt and probe of a chat or grounding request (rawPrompt is the chat's alone).
template<typename Request> InputSpec inputSpec(const Request &req)
{
    InputSpec spec;
    spec.model = req.model;
    spec.image = req.image;
    spec.videoTimeS = req.videoTimeS;
    spec.history = req.history;
    spec.prompt = req.prompt;
    spec.promptIds = req.promptIds;
    spec.regionMask = &req.regionMask;
    spec.regionWidth = req.regionWidth;
    spec.regionHeight = req.regionHeight;
    spec.hiddenPatches = &req.hiddenPatches;
    spec.compute = req.compute;
    return spec;
}

// Reports kChatStageImage, kChatStageLoading (per tensor; cancel between them), kChatStagePrompt.
ChatInput prepareChat(const InputSpec &spec, JobContext &ctx);

ChatResult runChat(const ChatRequest &req, JobContext &ctx);

// What a chat result tells of its input: model, dtype, device, prompt and image grid.
ChatResult chatResultOf(const ChatInput &in);

// Decoding after in's prompt with its runtime's eos, texts and cancel; each token a
// kChatTokenPartial and a kChatStageGenerating report of total. Sampling is the caller's.
lm::GenerateOptions generateOptions(const ChatInput &in, JobContext &ctx, int total);

// The answer text trimmed of the spaces and newlines around it.
std::string trimAnswer(const std::string &text);

} // namespace ml::llava
