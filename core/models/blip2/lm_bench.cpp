// `bench lm`: greedy decoding at batch 1 through the shared runtime, on an OPT or a LLaMA of a
// published shape with random weights (or a BLIP-2 / LLaVA folder's language model), prompt of
// random token ids (the LLaMA shapes: 576 image rows + 32 text tokens by default, as LLaVA-1.5).
#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_discovery.h"
#include "models/blip2/blip2_runtime.h"
#include "models/llava/llama_model.h"
#include "models/llava/llava_runtime.h"
#include "models/lm/generate.h"
#include "models/lm/huge_pages.h"

#include <torch/torch.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace ml {

namespace {

blip2::OptConfig optShape(const std::string &shape)
{
    blip2::OptConfig c; // the defaults are OPT-125m's
    if (shape == "opt-125m")
        return c;
    if (shape == "opt-2.7b") {
        c.hidden_size = 2560;
        c.ffn_dim = 10240;
        c.num_hidden_layers = 32;
        c.num_attention_heads = 32;
        return c;
    }
    throw Error("unknown shape '" + shape + "' (expected opt-125m, opt-2.7b, llama-1b or llama-7b)");
}

// TinyLlama-1.1B's shape (the vocabulary of 32,064: LLaVA's added tokens) and LLaMA-7B's.
std::optional<llava::LlamaConfig> llamaShape(const std::string &shape)
{
    llava::LlamaConfig c;
    c.vocab_size = 32064;
    if (shape == "llama-1b") {
        c.hidden_size = 2048;
        c.num_hidden_layers = 22;
        c.num_attention_heads = 32;
        c.num_key_value_heads = 4;
        c.intermediate_size = 5632;
        c.max_position_embeddings = 2048;
        return c;
    }
    if (shape == "llama-7b") {
        c.hidden_size = 4096;
        c.num_hidden_layers = 32;
        c.num_attention_heads = 32;
        c.num_key_value_heads = 32;
        c.intermediate_size = 11008;
        c.max_position_embeddings = 4096;
        return c;
    }
    return std::nullopt;
}

double peakRssMb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) {
            std::istringstream s(line.substr(6));
            double kb = 0;
            s >> kb;
            return kb / 1024.0;
        }
    return 0.0;
}

// The bytes of weights one decode step reads: every parameter once, except the embedding tables
// of which it reads a row, unless the head is tied to the token table (no lm_head): then it reads
// that table whole, as the head.
double weightBytesPerToken(const lm::CausalLm *lm)
{
    const auto *m = dynamic_cast<const torch::nn::Module *>(lm);
    if (!m)
        return 0.0;
    double bytes = 0.0, tokenTable = 0.0;
    bool head = false;
    for (const auto &p : m->named_parameters()) {
        const auto n = static_cast<double>(p.value().nbytes());
        if (p.key().find("lm_head") != std::string::npos)
            head = true;
        if (p.key().find("embed_tokens") != std::string::npos)
            tokenTable = n;
        else if (p.key().find("embed_") == std::string::npos)
            bytes += n;
    }
    return bytes + (head ? 0.0 : tokenTable);
}

LmBenchResult runLmBench(const LmBenchOptions &o, JobContext &ctx)
{
    at::get_num_threads();
    if (o.promptTokens < 0 || o.newTokens <= 0)
        throw Error("--prompt-tokens and --new-tokens must be positive");
    LmBenchResult r;
    r.device = resolveDevice(o.compute);
    r.dtype = resolveDtype(o.compute, Workload::Language);
    const auto dtype = r.dtype == "bf16" ? torch::kBFloat16 : r.dtype == "fp16" ? torch::kHalf : torch::kFloat;
    ctx.report(0, 0, "building model");
    std::shared_ptr<blip2::Blip2Runtime> rt;
    std::shared_ptr<llava::LlavaRuntime> llavaRt;
    std::shared_ptr<torch::nn::Module> own;
    lm::CausalLm *lm = nullptr;
    const auto llama = o.model.empty() ? llamaShape(o.shape) : std::nullopt;
    if (!o.model.empty() && familyOfFolder(resolveModelPath(o.model)) == ModelFamily::Llava) {
        llavaRt = llava::acquireLlavaRuntime(ctx.models(), resolveModelPath(o.model), r.dtype, r.device);
        lm = llavaRt->model()->languageModel().get();
        r.shape = llavaRt->name();
        r.parameters = llavaRt->config().text.parameterCount();
    } else if (!o.model.empty()) {
        rt = blip2::acquireBlip2Runtime(ctx.models(), resolveModelPath(o.model), r.dtype, r.device);
        lm = rt->model()->languageModel().get();
        r.shape = rt->name();
        r.parameters = rt->config().text.parameterCount();
    } else if (llama) {
        torch::NoGradGuard noGrad;
        torch::manual_seed(2024);
        auto m = std::make_shared<llava::LlamaForCausalLmImpl>(*llama, dtype);
        m->to(torch::Device(r.device));
        m->eval();
        lm::moveToHugePages(m->parameters());
        lm = m.get();
        own = m;
        r.shape = o.shape;
        r.parameters = llama->parameterCount();
    } else {
        torch::NoGradGuard noGrad;
        const auto cfg = optShape(o.shape);
        torch::manual_seed(2024);
        auto m = std::make_shared<blip2::OptForCausalLmImpl>(cfg, dtype);
        m->to(torch::Device(r.device));
        m->eval();
        lm::moveToHugePages(m->parameters());
        lm = m.get();
        own = m;
        r.shape = o.shape;
        r.parameters = cfg.parameterCount();
    }
    // 0: the shape's default (LLaMA: LLaVA-1.5's 576 image rows + 32 text tokens; OPT: 32).
    r.promptTokens = o.promptTokens > 0 ? o.promptTokens
        : llavaRt                       ? static_cast<int>(llavaRt->config().imageTokens()) + 32
        : llama                         ? 608
                                        : 32;
    if (r.promptTokens + o.newTokens > lm->maxPositions())
        throw Error("prompt + new tokens exceed the model's " + std::to_string(lm->maxPositions()) + " positions");
    const auto opts = torch::TensorOptions().dtype(torch::kLong).device(torch::Device(r.device));
    const auto ids = torch::randint(4, lm->vocabSize(), {1, r.promptTokens}, opts);
    torch::Tensor prompt;
    {
        torch::NoGradGuard noGrad;
        prompt = lm->embedTokens(ids);
    }
    lm::GenerateOptions g;
    g.decode = [](const std::vector<std::int64_t> &v) { return std::to_string(v.size()); };
    g.tokenText = [](std::int64_t) { return std::string(); };
    g.cancelled = [&] { return ctx.isCancelled(); };
    g.sampling.maxNewTokens = 4; // warm-up: first-call allocations and kernel selection
    ctx.report(0, o.newTokens, "warm-up");
    lm::generate(*lm, prompt, g);
    g.sampling.maxNewTokens = o.newTokens;
    g.onToken = [&](const ChatToken &t) { ctx.report(t.index + 1, o.newTokens, "decoding"); };
    const auto out = lm::generate(*lm, prompt, g);
    if (out.stopReason == "cancelled")
        throw Cancelled();
    r.firstTokenMs = out.firstTokenMs;
    r.tokensPerS = out.tokensPerS;
    r.peakRssMb = peakRssMb();
    r.threads = at::get_num_threads();
    r.weightBytesPerToken = weightBytesPerToken(lm);
    if (r.device == "cpu") {
        ctx.report(0, 0, "measuring the memory's read bandwidth");
        r.readGBps = lm::measureReadBandwidth();
    }
    return r;
}

} // namespace

Job makeLmBenchJob(LmBenchOptions options)
{
    return {"Benchmark language model", Lane::Inference,
        [o = std::move(options)](JobContext &ctx) -> std::any { return runLmBench(o, ctx); }};
}

} // namespace ml
