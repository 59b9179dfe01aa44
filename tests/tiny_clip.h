// Test support: a tiny random CLIP (2 layers, width 32) written as a Hugging Face folder, with
// the real CLIP vocabulary from the tokenizer fixtures, and a few generated images.
#pragma once

#include "io/safetensors.h"
#include "models/clip/clip_model.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

namespace tiny_clip {

namespace fs = std::filesystem;

inline const fs::path kTokenizerDir = fs::path(MODALLENS_FIXTURES_DIR) / "tokenizers" / "clip";

inline bool tokenizerFixturesPresent()
{
    return fs::is_regular_file(kTokenizerDir / "vocab.json") && fs::is_regular_file(kTokenizerDir / "merges.txt");
}

inline void writeJson(const fs::path &path, const nlohmann::json &j)
{
    std::ofstream(path) << j.dump(2);
}

inline nlohmann::json configJson()
{
    const nlohmann::json tower {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
        {"num_attention_heads", 4}, {"hidden_act", "quick_gelu"}, {"layer_norm_eps", 1e-5}};
    nlohmann::json text = tower;
    text["vocab_size"] = 49408;
    text["max_position_embeddings"] = 77;
    text["bos_token_id"] = 49406;
    text["eos_token_id"] = 49407;
    text["pad_token_id"] = 1;
    nlohmann::json vision = tower;
    vision["image_size"] = 32;
    vision["patch_size"] = 8;
    vision["num_channels"] = 3;
    return {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", 16},
        {"logit_scale_init_value", 2.6592}, {"text_config", text}, {"vision_config", vision}};
}

// A random CLIP in `dir`: config.json, model.safetensors, preprocessor_config.json, vocab.json
// and merges.txt. LayerNorms and biases are random too, so nothing passes by accident.
inline void write(const fs::path &dir, std::uint64_t seed = 7)
{
    fs::create_directories(dir);
    const auto cfgJson = configJson();
    const auto cfg = ml::clip::ClipConfig::fromJson(cfgJson);
    at::manual_seed(seed);
    ml::clip::ClipModel model(cfg);
    std::map<std::string, torch::Tensor> tensors;
    {
        at::NoGradGuard noGrad;
        for (const auto &p : model->named_parameters()) {
            auto t = p.value().detach().clone();
            if (p.key().find("layer_norm") != std::string::npos || p.key().find("layrnorm") != std::string::npos
                || p.key().find("layernorm") != std::string::npos)
                t = p.key().ends_with(".weight") ? 1.0 + 0.2 * at::randn_like(t) : 0.05 * at::randn_like(t);
            else if (p.key().ends_with(".bias"))
                t = 0.05 * at::randn_like(t);
            tensors[p.key()] = t;
        }
    }
    ml::io::saveSafetensors(dir / "model.safetensors", tensors);
    writeJson(dir / "config.json", cfgJson);
    writeJson(dir / "preprocessor_config.json",
        {{"crop_size", {{"height", 32}, {"width", 32}}}, {"size", {{"shortest_edge", 32}}}, {"do_center_crop", true},
            {"do_normalize", true}, {"do_rescale", true}, {"do_resize", true}, {"resample", 3},
            {"rescale_factor", 1.0 / 255.0}, {"image_mean", {0.48145466, 0.4578275, 0.40821073}},
            {"image_std", {0.26862954, 0.26130258, 0.27577711}}});
    for (const char *name : {"vocab.json", "merges.txt"})
        fs::copy_file(kTokenizerDir / name, dir / name, fs::copy_options::overwrite_existing);
}

#ifdef MODALLENS_HAVE_MEDIA
// A smooth random picture (gradients and a disc), different per seed.
inline void writeImage(const fs::path &path, int width, int height, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(0, 255);
    const int r0 = d(rng), g0 = d(rng), b0 = d(rng), cx = d(rng) % width, cy = d(rng) % height;
    ml::io::RgbImage img {width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3)};
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < width * height / 16;
            std::uint8_t *px = img.row(y) + x * 3;
            px[0] = static_cast<std::uint8_t>((r0 + x * 255 / width) % 256);
            px[1] = static_cast<std::uint8_t>(disc ? 255 - g0 : (g0 + y * 255 / height) % 256);
            px[2] = static_cast<std::uint8_t>((b0 + (x + y) * 3) % 256);
        }
    ml::io::saveImage(img, path);
}
#endif

} // namespace tiny_clip
