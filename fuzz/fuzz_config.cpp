// Fuzzes config.json parsing for every model family: CLIP (Hugging Face and OpenCLIP, with the
// preprocessor), the UNet2D and its DDPM/DDIM scheduler, BLIP-2 and LLaVA (LLaMA). Text that is not
// JSON, a wrong type or an unusable value must throw ml::Error or be listed by validate(); a
// usable config is sized (parameter counts, denoising memory), the models are never built.
#include "common/error.h"
#include "models/blip2/blip2_config.h"
#include "models/clip/clip_config.h"
#include "models/diffusion/denoise_memory.h"
#include "models/diffusion/diffusion_config.h"
#include "models/llava/llava_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace {

template<typename F> void expectError(F &&parse)
{
    try {
        parse();
    } catch (const ml::Error &) { }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded())
        return 0;
    expectError([&] {
        const auto c = ml::clip::ClipConfig::fromJson(j);
        if (c.validate().empty()) {
            (void)c.text_config.encoderConfig();
            (void)c.vision_config.encoderConfig();
            (void)c.vision_config.numPositions();
        }
    });
    expectError([&] { (void)ml::clip::ClipConfig::fromOpenClipJson(j).validate(); });
    expectError([&] { (void)ml::clip::ClipImageProcessorConfig::fromJson(j); });
    expectError([&] { (void)ml::clip::ClipImageProcessorConfig::fromOpenClipJson(j, 224); });
    expectError([&] {
        const auto u = ml::diffusion::UNet2DConfig::fromJson(j);
        if (u.validate().empty()) {
            const auto need = ml::diffusion::estimateDenoiseMemory(u, 2, 64, 64, 50, true, 4);
            (void)need.total();
        }
    });
    expectError([&] { (void)ml::diffusion::SchedulerConfig::fromJson(j).validate(); });
    expectError([&] { // the size estimate sizes the model before it is built: any usable config
        const auto c = ml::blip2::Blip2Config::fromJson(j, "config.json");
        if (c.validate().empty())
            (void)c.parameterCount();
    });
    expectError([&] {
        const auto c = ml::llava::LlavaConfig::fromJson(j, "config.json");
        if (c.validate().empty())
            (void)c.parameterCount();
    });
    return 0;
}
