// CLIP parity with the reference (transformers 4.40 CLIPModel, eager attention) on the golden
// fixtures: every attention map, hidden state, pooled output, embedding and logit, on the
// explicit path (the module) and on the fast path that classify and search run.
#include "engine/compute.h"
#include "io/safetensors.h"
#include "models/clip/clip_inference.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_runtime.h" // dtypeFromName

#include <QtTest>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kClipDir = fs::path(MODALLENS_FIXTURES_DIR) / "clip";
using Engine = ml::clip::ClipInference::Engine;

struct Tolerance {
    double atol, rtol;
};

nlohmann::json manifest()
{
    std::ifstream in(kClipDir / "manifest.json");
    return nlohmann::json::parse(in);
}

Tolerance tolerance(const std::string &tensorName)
{
    static const nlohmann::json m = manifest();
    const std::string group = m["tensors"]["expected.safetensors"][tensorName]["tolerance_group"];
    const auto &t = m["tolerances"][group];
    return {t.value("atol", 0.0), t.value("rtol", 0.0)};
}

// |actual - expected| <= atol + rtol * |expected| everywhere, as the manifest defines.
void expectClose(const torch::Tensor &actual, const torch::Tensor &expected, const std::string &name)
{
    const Tolerance tol = tolerance(name);
    const auto a = actual.to(torch::kDouble).contiguous();
    const auto e = expected.to(torch::kDouble).contiguous();
    QVERIFY2(a.sizes() == e.sizes(), qPrintable(QString::fromStdString(name + ": shape mismatch")));
    const auto diff = (a - e).abs();
    const auto bound = tol.atol + tol.rtol * e.abs();
    const double maxDiff = diff.max().item<double>();
    const bool ok = (diff <= bound).all().item<bool>();
    qInfo("%-28s max |diff| %.3g (atol %.1g, rtol %.1g)", name.c_str(), maxDiff, tol.atol, tol.rtol);
    QVERIFY2(
        ok, qPrintable(QString("%1 exceeds tolerance: max |diff| %2").arg(QString::fromStdString(name)).arg(maxDiff)));
}

} // namespace

class TestClipGolden : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!fs::exists(kClipDir / "expected.safetensors"))
            QSKIP("golden fixtures not found at " MODALLENS_FIXTURES_DIR "/clip (set MODALLENS_FIXTURES_DIR)");
        m_expected = ml::io::SafetensorsFile::open(kClipDir / "expected.safetensors");
        m_clip = ml::clip::loadClip(kClipDir);
    }

    void visionTower()
    {
        c10::InferenceMode guard;
        const auto pixels = m_expected->tensor("pixel_values");
        const auto out = m_clip.model->vision(pixels, {true, true});
        expectClose(
            out.encoder.lastHiddenState, m_expected->tensor("vision_last_hidden_state"), "vision_last_hidden_state");
        expectClose(out.pooled, m_expected->tensor("vision_pooled_output"), "vision_pooled_output");
        expectClose(
            torch::stack(out.encoder.hiddenStates), m_expected->tensor("vision_hidden_states"), "vision_hidden_states");
        expectClose(
            torch::stack(out.encoder.attentions, 1), m_expected->tensor("vision_attentions"), "vision_attentions");
    }

    void textTower()
    {
        c10::InferenceMode guard;
        const auto ids = m_expected->tensor("input_ids");
        const auto mask = m_expected->tensor("attention_mask");
        const auto out = m_clip.model->text(ids, mask, {true, true});
        expectClose(
            out.encoder.lastHiddenState, m_expected->tensor("text_last_hidden_state"), "text_last_hidden_state");
        expectClose(out.pooled, m_expected->tensor("text_pooled_output"), "text_pooled_output");
        expectClose(
            torch::stack(out.encoder.hiddenStates), m_expected->tensor("text_hidden_states"), "text_hidden_states");
        expectClose(torch::stack(out.encoder.attentions, 1), m_expected->tensor("text_attentions"), "text_attentions");
    }

    void embeddingsAndLogits()
    {
        c10::InferenceMode guard;
        const auto img = m_clip.model->imageEmbeddings(m_expected->tensor("pixel_values"));
        const auto txt
            = m_clip.model->textEmbeddings(m_expected->tensor("input_ids"), m_expected->tensor("attention_mask"));
        expectClose(img, m_expected->tensor("image_embeds"), "image_embeds");
        expectClose(txt, m_expected->tensor("text_embeds"), "text_embeds");
        const auto logits = m_clip.model->logitScale().exp() * img.matmul(txt.t());
        expectClose(logits, m_expected->tensor("logits_per_image"), "logits_per_image");
        expectClose(logits.t(), m_expected->tensor("logits_per_text"), "logits_per_text");
    }

    // The path classify, search and indexing run (ClipInference: fused q/k/v, no attention maps
    // kept), asked for fp32 explicitly so the dtype policy's bf16 does not apply, against the
    // reference's embeddings and logits at the manifest's tolerances: on both of its engines,
    // LibTorch's operators and the fused oneDNN path.
    void fastPathMatchesReference_data()
    {
        QTest::addColumn<int>("engine");
        QTest::newRow("torch") << static_cast<int>(Engine::Torch);
        QTest::newRow("onednn") << static_cast<int>(Engine::OneDnn);
    }
    void fastPathMatchesReference()
    {
        QFETCH(int, engine);
        if (engine == static_cast<int>(Engine::OneDnn) && !ml::clip::cpuForwardAvailable())
            QSKIP("this build has no oneDNN");
        c10::InferenceMode guard;
        const ml::clip::ClipInference fast(
            *m_clip.model, ml::clip::dtypeFromName("fp32"), torch::kCPU, static_cast<Engine>(engine));
        QCOMPARE(fast.dtype(), torch::kFloat);
        QCOMPARE(static_cast<int>(fast.engine()), engine);
        const auto img = fast.imageEmbeddings(m_expected->tensor("pixel_values"));
        const auto txt = fast.textEmbeddings(m_expected->tensor("input_ids"));
        expectClose(img, m_expected->tensor("image_embeds"), "image_embeds");
        expectClose(txt, m_expected->tensor("text_embeds"), "text_embeds");
        const auto logits = fast.logitScale() * img.matmul(txt.t());
        expectClose(logits, m_expected->tensor("logits_per_image"), "logits_per_image");
        expectClose(logits.t(), m_expected->tensor("logits_per_text"), "logits_per_text");
    }

    // The fused engine in bf16 (activations bf16 from product to product) where the CPU has it
    // natively, against fp32: each embedding within cosine 0.999, the argmax of every image's
    // logits unchanged. Also in batches of one (the other primitive shapes).
    void fusedBf16CloseToFp32()
    {
        if (!ml::clip::cpuForwardAvailable())
            QSKIP("this build has no oneDNN");
        if (!ml::detectCpuKind().nativeBf16 || !ml::clip::cpuForwardAvailable(/*bf16=*/true))
            QSKIP("this CPU has no native bf16 (the policy runs fp32 here), or oneDNN runs no bf16 here");
        c10::InferenceMode guard;
        const ml::clip::ClipInference fp32(*m_clip.model, torch::kFloat, torch::kCPU, Engine::OneDnn);
        const ml::clip::ClipInference bf16(*m_clip.model, torch::kBFloat16, torch::kCPU, Engine::OneDnn);
        const auto pixels = m_expected->tensor("pixel_values");
        const auto ids = m_expected->tensor("input_ids");
        const auto img = fp32.imageEmbeddings(pixels), txt = fp32.textEmbeddings(ids);
        const auto imgB = bf16.imageEmbeddings(pixels), txtB = bf16.textEmbeddings(ids);
        const auto minCos = [](const torch::Tensor &a, const torch::Tensor &b) {
            return (a * b).sum(-1).min().item<double>(); // both L2-normalised
        };
        qInfo("bf16 vs fp32: image cosine >= %.6f, text cosine >= %.6f", minCos(img, imgB), minCos(txt, txtB));
        QVERIFY(minCos(img, imgB) >= 0.999);
        QVERIFY(minCos(txt, txtB) >= 0.999);
        QVERIFY(img.matmul(txt.t()).argmax(-1).equal(imgB.matmul(txtB.t()).argmax(-1)));
        for (std::int64_t i = 0; i < pixels.size(0); ++i) {
            const auto one = bf16.imageEmbeddings(pixels.slice(0, i, i + 1));
            QVERIFY(minCos(one, imgB.slice(0, i, i + 1)) >= 0.9999);
        }
    }

    void openAiNamingGivesTheSameModel()
    {
        c10::InferenceMode guard;
        auto openai = ml::clip::loadClip(kClipDir / "openai");
        QVERIFY(openai.openClipNaming);
        const auto img = openai.model->imageEmbeddings(m_expected->tensor("pixel_values"));
        const auto txt
            = openai.model->textEmbeddings(m_expected->tensor("input_ids"), m_expected->tensor("attention_mask"));
        expectClose(img, m_expected->tensor("image_embeds"), "image_embeds");
        expectClose(txt, m_expected->tensor("text_embeds"), "text_embeds");
        const double logitScale = openai.model->logitScale().item<double>();
        QCOMPARE(logitScale, m_clip.model->logitScale().item<double>());
    }

private:
    std::shared_ptr<ml::io::SafetensorsFile> m_expected;
    ml::clip::LoadedClip m_clip;
};

QTEST_GUILESS_MAIN(TestClipGolden)
#include "test_clip_golden.moc"
