// Parsing and checking of UNet2DModel and DDPM/DDIM scheduler configs. A missing (or null) key
// keeps diffusers' default; a key with the wrong type is an error naming the key.
#include "models/diffusion/diffusion_config.h"

#include "common/error.h"
#include "common/json_field.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace ml::diffusion {

namespace {

template<typename T> void take(const nlohmann::json &j, const char *key, T &out)
{
    takeJsonField(j, key, out);
}

// An optional field: absent keeps the default, null clears it, a value sets it.
template<typename T> void takeOptional(const nlohmann::json &j, const char *key, std::optional<T> &out)
{
    if (!j.is_object() || !j.contains(key))
        return;
    if (j.at(key).is_null()) {
        out.reset();
        return;
    }
    T value {};
    take(j, key, value);
    out = value;
}

bool isOneOf(const std::string &s, std::initializer_list<const char *> list)
{
    return std::any_of(list.begin(), list.end(), [&](const char *x) { return s == x; });
}

} // namespace

UNet2DConfig UNet2DConfig::fromJson(const nlohmann::json &j)
{
    UNet2DConfig c;
    if (j.is_object() && j.contains("sample_size") && !j.at("sample_size").is_null()) {
        const auto &s = j.at("sample_size");
        if (s.is_number_integer()) {
            c.sample_height = c.sample_width = s.get<std::int64_t>();
        } else if (s.is_array() && s.size() == 2 && s[0].is_number_integer() && s[1].is_number_integer()) {
            c.sample_height = s[0].get<std::int64_t>();
            c.sample_width = s[1].get<std::int64_t>();
        } else {
            throw Error("config key 'sample_size' has the wrong type (" + s.dump() + ")");
        }
    }
    take(j, "in_channels", c.in_channels);
    take(j, "out_channels", c.out_channels);
    take(j, "center_input_sample", c.center_input_sample);
    take(j, "time_embedding_type", c.time_embedding_type);
    take(j, "freq_shift", c.freq_shift);
    take(j, "flip_sin_to_cos", c.flip_sin_to_cos);
    take(j, "down_block_types", c.down_block_types);
    take(j, "up_block_types", c.up_block_types);
    take(j, "block_out_channels", c.block_out_channels);
    take(j, "layers_per_block", c.layers_per_block);
    take(j, "mid_block_scale_factor", c.mid_block_scale_factor);
    take(j, "downsample_padding", c.downsample_padding);
    take(j, "downsample_type", c.downsample_type);
    take(j, "upsample_type", c.upsample_type);
    take(j, "dropout", c.dropout);
    take(j, "act_fn", c.act_fn);
    takeOptional(j, "attention_head_dim", c.attention_head_dim);
    takeOptional(j, "norm_num_groups", c.norm_num_groups);
    takeOptional(j, "attn_norm_num_groups", c.attn_norm_num_groups);
    take(j, "norm_eps", c.norm_eps);
    take(j, "resnet_time_scale_shift", c.resnet_time_scale_shift);
    take(j, "add_attention", c.add_attention);
    takeOptional(j, "class_embed_type", c.class_embed_type);
    takeOptional(j, "num_class_embeds", c.num_class_embeds);
    takeOptional(j, "num_train_timesteps", c.num_train_timesteps);
    return c;
}

std::vector<std::string> UNet2DConfig::validate() const
{
    std::vector<std::string> p;
    const auto n = block_out_channels.size();
    if (n == 0)
        p.push_back("block_out_channels is empty");
    for (auto ch : block_out_channels)
        if (ch <= 0)
            p.push_back("block_out_channels holds " + std::to_string(ch) + " (must be positive)");
    if (down_block_types.size() != n)
        p.push_back("down_block_types has " + std::to_string(down_block_types.size())
            + " entries but block_out_channels has " + std::to_string(n));
    if (up_block_types.size() != n)
        p.push_back("up_block_types has " + std::to_string(up_block_types.size())
            + " entries but block_out_channels has " + std::to_string(n));
    for (const auto &t : down_block_types)
        if (!isOneOf(t, {"DownBlock2D", "AttnDownBlock2D"}))
            p.push_back("down block type '" + t + "' is not supported (supported: DownBlock2D, AttnDownBlock2D)");
    for (const auto &t : up_block_types)
        if (!isOneOf(t, {"UpBlock2D", "AttnUpBlock2D"}))
            p.push_back("up block type '" + t + "' is not supported (supported: UpBlock2D, AttnUpBlock2D)");
    if (in_channels <= 0 || out_channels <= 0)
        p.push_back("in_channels and out_channels must be positive");
    if (layers_per_block <= 0)
        p.push_back("layers_per_block must be positive (got " + std::to_string(layers_per_block) + ")");
    if (!isOneOf(time_embedding_type, {"positional", "learned"}))
        p.push_back("time_embedding_type '" + time_embedding_type
            + "' is not supported (supported: positional, learned; 'fourier' is score-SDE's, with skip blocks)");
    if (time_embedding_type == "learned" && (!num_train_timesteps || *num_train_timesteps <= 0))
        p.push_back("time_embedding_type 'learned' needs num_train_timesteps");
    if (!n || block_out_channels.front() % 2 != 0)
        p.push_back("block_out_channels[0] must be even (the sinusoidal embedding has sin and cos halves)");
    if (downsample_type != "conv")
        p.push_back("downsample_type '" + downsample_type + "' is not supported (supported: conv)");
    if (upsample_type != "conv")
        p.push_back("upsample_type '" + upsample_type + "' is not supported (supported: conv)");
    if (downsample_padding < 0)
        p.push_back("downsample_padding must be >= 0");
    if (!isOneOf(act_fn, {"silu", "swish", "mish", "gelu", "relu"}))
        p.push_back("act_fn '" + act_fn + "' is not supported (supported: silu, swish, mish, gelu, relu)");
    if (!isOneOf(resnet_time_scale_shift, {"default", "scale_shift"}))
        p.push_back("resnet_time_scale_shift '" + resnet_time_scale_shift
            + "' is not supported (supported: default, scale_shift)");
    if (class_embed_type || num_class_embeds)
        p.push_back("class-conditional UNet2DModel (class_embed_type / num_class_embeds) is not supported");
    if (attention_head_dim && *attention_head_dim <= 0)
        p.push_back("attention_head_dim must be positive or null");
    if (norm_eps <= 0)
        p.push_back("norm_eps must be positive");
    if (mid_block_scale_factor == 0)
        p.push_back("mid_block_scale_factor must not be 0");
    const auto groupsOk = [&](std::int64_t groups, std::int64_t ch, const std::string &what) {
        if (groups <= 0 || ch % groups != 0)
            p.push_back(what + ": " + std::to_string(ch) + " channels are not divisible into " + std::to_string(groups)
                + " groups");
    };
    if (!norm_num_groups)
        p.push_back("norm_num_groups null is not supported (the ResNet blocks need a group count)");
    for (std::size_t i = 0; i < n; ++i) {
        const auto ch = block_out_channels[i];
        if (norm_num_groups && ch > 0)
            groupsOk(*norm_num_groups, ch, "norm_num_groups");
        const bool attention = (i < down_block_types.size() && down_block_types[i] == "AttnDownBlock2D")
            || (up_block_types.size() == n && up_block_types[n - 1 - i] == "AttnUpBlock2D")
            || (i == n - 1 && add_attention); // the mid block's
        if (attention && attention_head_dim && ch < *attention_head_dim)
            p.push_back("attention_head_dim " + std::to_string(*attention_head_dim) + " is larger than "
                + std::to_string(ch) + " channels");
    }
    if (attn_norm_num_groups && n > 0)
        groupsOk(*attn_norm_num_groups, block_out_channels.back(), "attn_norm_num_groups");
    return p;
}

SchedulerConfig SchedulerConfig::fromJson(const nlohmann::json &j)
{
    SchedulerConfig c;
    take(j, "_class_name", c.class_name);
    take(j, "num_train_timesteps", c.num_train_timesteps);
    take(j, "beta_start", c.beta_start);
    take(j, "beta_end", c.beta_end);
    take(j, "beta_schedule", c.beta_schedule);
    take(j, "trained_betas", c.trained_betas);
    take(j, "variance_type", c.variance_type);
    take(j, "clip_sample", c.clip_sample);
    take(j, "clip_sample_range", c.clip_sample_range);
    take(j, "prediction_type", c.prediction_type);
    take(j, "thresholding", c.thresholding);
    take(j, "dynamic_thresholding_ratio", c.dynamic_thresholding_ratio);
    take(j, "sample_max_value", c.sample_max_value);
    take(j, "timestep_spacing", c.timestep_spacing);
    take(j, "steps_offset", c.steps_offset);
    take(j, "set_alpha_to_one", c.set_alpha_to_one);
    take(j, "rescale_betas_zero_snr", c.rescale_betas_zero_snr);
    return c;
}

std::vector<std::string> SchedulerConfig::validate() const
{
    std::vector<std::string> p;
    if (num_train_timesteps <= 0)
        p.push_back("num_train_timesteps must be positive");
    if (!trained_betas.empty() && static_cast<std::int64_t>(trained_betas.size()) != num_train_timesteps)
        p.push_back("trained_betas has " + std::to_string(trained_betas.size()) + " values for "
            + std::to_string(num_train_timesteps) + " timesteps");
    if (trained_betas.empty() && !isOneOf(beta_schedule, {"linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"}))
        p.push_back("beta_schedule '" + beta_schedule
            + "' is not supported (supported: linear, scaled_linear, squaredcos_cap_v2, sigmoid)");
    if (!isOneOf(prediction_type, {"epsilon", "sample", "v_prediction"}))
        p.push_back(
            "prediction_type '" + prediction_type + "' is not supported (supported: epsilon, sample, v_prediction)");
    if (!isOneOf(timestep_spacing, {"leading", "trailing", "linspace"}))
        p.push_back(
            "timestep_spacing '" + timestep_spacing + "' is not supported (supported: leading, trailing, linspace)");
    if (clip_sample_range <= 0)
        p.push_back("clip_sample_range must be positive");
    return p;
}

} // namespace ml::diffusion
