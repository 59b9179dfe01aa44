// Configs of diffusers' UNet2DModel (config.json) and DDPM/DDIM schedulers
// (scheduler_config.json), spelled as the files spell them; a missing key keeps diffusers' default.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml::diffusion {

// Ref: diffusers/models/unets/unet_2d.py, UNet2DModel.__init__ (v0.27 defaults)
struct UNet2DConfig {
    std::int64_t sample_height = 0; // "sample_size": an int or [h, w]; 0 when absent
    std::int64_t sample_width = 0;
    std::int64_t in_channels = 3;
    std::int64_t out_channels = 3;
    bool center_input_sample = false;
    std::string time_embedding_type = "positional"; // positional | learned
    std::int64_t freq_shift = 0;
    bool flip_sin_to_cos = true;
    std::vector<std::string> down_block_types {"DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"};
    std::vector<std::string> up_block_types {"AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"};
    std::vector<std::int64_t> block_out_channels {224, 448, 672, 896};
    std::int64_t layers_per_block = 2;
    double mid_block_scale_factor = 1.0;
    std::int64_t downsample_padding = 1;
    std::string downsample_type = "conv";
    std::string upsample_type = "conv";
    double dropout = 0.0; // inference: ignored
    std::string act_fn = "silu";
    // Absent: 8. null: one head per attention, head_dim = the block's channels.
    std::optional<std::int64_t> attention_head_dim = 8;
    std::optional<std::int64_t> norm_num_groups = 32; // null is refused (diffusers' ResNets need it)
    std::optional<std::int64_t> attn_norm_num_groups;
    double norm_eps = 1e-5;
    std::string resnet_time_scale_shift = "default"; // default | scale_shift
    bool add_attention = true;
    std::optional<std::string> class_embed_type;
    std::optional<std::int64_t> num_class_embeds;
    std::optional<std::int64_t> num_train_timesteps; // the "learned" embedding's table size

    // Throws ml::Error naming the key for a wrong type.
    static UNet2DConfig fromJson(const nlohmann::json &j);
    // Every problem that makes the config unusable (unknown block type, channels not divisible
    // by the groups, unsupported options), one message each; empty when fine.
    std::vector<std::string> validate() const;

    std::int64_t timeEmbedDim() const { return block_out_channels.front() * 4; }
    // Heads and head size of an attention over `channels` channels.
    std::int64_t headDim(std::int64_t channels) const { return attention_head_dim ? *attention_head_dim : channels; }
};

// Ref: diffusers/schedulers/scheduling_ddpm.py and scheduling_ddim.py (v0.27 defaults)
struct SchedulerConfig {
    std::string class_name = "DDPMScheduler"; // "_class_name"
    std::int64_t num_train_timesteps = 1000;
    double beta_start = 0.0001;
    double beta_end = 0.02;
    std::string beta_schedule = "linear";      // linear | scaled_linear | squaredcos_cap_v2 | sigmoid
    std::vector<double> trained_betas;         // empty when null
    std::string variance_type = "fixed_small"; // DDPM: fixed_small | fixed_small_log | fixed_large | fixed_large_log
    bool clip_sample = true;
    double clip_sample_range = 1.0;
    std::string prediction_type = "epsilon"; // epsilon | sample | v_prediction
    bool thresholding = false;
    double dynamic_thresholding_ratio = 0.995;
    double sample_max_value = 1.0;
    std::string timestep_spacing = "leading"; // leading | trailing | linspace
    std::int64_t steps_offset = 0;
    bool set_alpha_to_one = true; // DDIM
    bool rescale_betas_zero_snr = false;

    static SchedulerConfig fromJson(const nlohmann::json &j);
    std::vector<std::string> validate() const;
};

} // namespace ml::diffusion
