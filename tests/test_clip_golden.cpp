// CLIP parity with the reference (transformers 4.40 CLIPModel, eager attention) on the golden
// fixtures: every attention map, hidden state, pooled output, embedding and logit, on the
// explicit path (the module) and on the fast path that classify and search run.
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
    // reference's embeddings and logits at the manifest's tolerances.
    void fastPathMatchesReference()
    {
        c10::InferenceMode guard;
        const ml::clip::ClipInference fast(*m_clip.model, ml::clip::dtypeFromName("fp32"), torch::kCPU);
        QCOMPARE(fast.dtype(), torch::kFloat);
        const auto img = fast.imageEmbeddings(m_expected->tensor("pixel_values"));
        const auto txt = fast.textEmbeddings(m_expected->tensor("input_ids"));
        expectClose(img, m_expected->tensor("image_embeds"), "image_embeds");
        expectClose(txt, m_expected->tensor("text_embeds"), "text_embeds");
        const auto logits = fast.logitScale() * img.matmul(txt.t());
        expectClose(logits, m_expected->tensor("logits_per_image"), "logits_per_image");
        expectClose(logits.t(), m_expected->tensor("logits_per_text"), "logits_per_text");
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
