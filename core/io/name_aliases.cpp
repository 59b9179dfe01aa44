// OpenAI/OpenCLIP → Hugging Face CLIP names. Ref: the mapping in transformers'
// convert_clip_original_pytorch_to_hf.py, written here as a table of patterns.
#include "io/name_aliases.h"

#include "common/error.h"
#include "io/checkpoint.h"

#include <regex>
#include <vector>

namespace ml::io {

namespace {

struct Rule {
    std::regex pattern;
    std::string replacement; // std::regex_replace format, $1 = the layer index
};

const std::vector<Rule> &openClipRules()
{
    static const std::vector<Rule> rules = [] {
        std::vector<std::pair<const char *, const char *>> table = {
            {R"(^visual\.class_embedding$)", "vision_model.embeddings.class_embedding"},
            {R"(^visual\.conv1\.weight$)", "vision_model.embeddings.patch_embedding.weight"},
            {R"(^visual\.positional_embedding$)", "vision_model.embeddings.position_embedding.weight"},
            {R"(^visual\.ln_pre\.(weight|bias)$)", "vision_model.pre_layrnorm.$1"},
            {R"(^visual\.ln_post\.(weight|bias)$)", "vision_model.post_layernorm.$1"},
            {R"(^visual\.transformer\.resblocks\.(\d+)\.attn\.out_proj\.(weight|bias)$)",
                "vision_model.encoder.layers.$1.self_attn.out_proj.$2"},
            {R"(^visual\.transformer\.resblocks\.(\d+)\.ln_1\.(weight|bias)$)",
                "vision_model.encoder.layers.$1.layer_norm1.$2"},
            {R"(^visual\.transformer\.resblocks\.(\d+)\.ln_2\.(weight|bias)$)",
                "vision_model.encoder.layers.$1.layer_norm2.$2"},
            {R"(^visual\.transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)$)",
                "vision_model.encoder.layers.$1.mlp.fc1.$2"},
            {R"(^visual\.transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)$)",
                "vision_model.encoder.layers.$1.mlp.fc2.$2"},
            {R"(^token_embedding\.weight$)", "text_model.embeddings.token_embedding.weight"},
            {R"(^positional_embedding$)", "text_model.embeddings.position_embedding.weight"},
            {R"(^ln_final\.(weight|bias)$)", "text_model.final_layer_norm.$1"},
            {R"(^transformer\.resblocks\.(\d+)\.attn\.out_proj\.(weight|bias)$)",
                "text_model.encoder.layers.$1.self_attn.out_proj.$2"},
            {R"(^transformer\.resblocks\.(\d+)\.ln_1\.(weight|bias)$)", "text_model.encoder.layers.$1.layer_norm1.$2"},
            {R"(^transformer\.resblocks\.(\d+)\.ln_2\.(weight|bias)$)", "text_model.encoder.layers.$1.layer_norm2.$2"},
            {R"(^transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)$)", "text_model.encoder.layers.$1.mlp.fc1.$2"},
            {R"(^transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)$)",
                "text_model.encoder.layers.$1.mlp.fc2.$2"},
            {R"(^logit_scale$)", "logit_scale"},
        };
        std::vector<Rule> out;
        for (const auto &[p, r] : table)
            out.push_back({std::regex(p), r});
        return out;
    }();
    return rules;
}

} // namespace

std::map<std::string, torch::Tensor> openClipToHuggingFace(const Checkpoint &ckpt)
{
    static const std::regex inProj(R"(^(visual\.)?transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$)");
    std::map<std::string, torch::Tensor> out;
    std::vector<std::string> unknown;
    for (const auto &name : ckpt.names()) {
        const torch::Tensor t = ckpt.tensor(name);
        std::smatch m;
        if (std::regex_match(name, m, inProj)) {
            const std::string tower = m[1].matched ? "vision_model" : "text_model";
            const std::string base = tower + ".encoder.layers." + m[2].str() + ".self_attn.";
            TORCH_CHECK(t.size(0) % 3 == 0, name, ": in_proj has ", t.size(0), " rows, not a multiple of 3");
            const auto parts = t.chunk(3, 0); // q, k, v in that order
            out[base + "q_proj." + m[3].str()] = parts[0];
            out[base + "k_proj." + m[3].str()] = parts[1];
            out[base + "v_proj." + m[3].str()] = parts[2];
            continue;
        }
        if (name == "text_projection") { // used as x @ P: a Linear's weight is P^T
            out["text_projection.weight"] = t.t();
            continue;
        }
        if (name == "visual.proj") {
            out["visual_projection.weight"] = t.t();
            continue;
        }
        bool mapped = false;
        for (const auto &rule : openClipRules()) {
            if (std::regex_match(name, rule.pattern)) {
                out[std::regex_replace(name, rule.pattern, rule.replacement)] = t;
                mapped = true;
                break;
            }
        }
        if (!mapped && name != "input_resolution" && name != "context_length" && name != "vocab_size"
            && name != "attn_mask")
            unknown.push_back(name);
    }
    if (!unknown.empty()) {
        std::string msg = ckpt.folder().string() + ": " + std::to_string(unknown.size())
            + " OpenCLIP weights have no CLIP ViT counterpart (a ResNet or custom tower?):";
        for (std::size_t i = 0; i < unknown.size() && i < 12; ++i)
            msg += "\n  " + unknown[i];
        if (unknown.size() > 12)
            msg += "\n  ...";
        throw Error(msg);
    }
    return out;
}

} // namespace ml::io
