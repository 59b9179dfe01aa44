// The fused CPU engine of ClipInference (oneDNN products, fused LayerNorm and softmax, attention
// read in place) against its LibTorch engine, in float32, on random small towers: every
// activation the configs allow, odd head widths, batches of 1 and 5, a causal text tower with
// padding after EOS, and tokens given as vectors (CoOp's path). The golden test covers the
// reference's numbers; this one covers the shapes the fixture does not.
#include "common/error.h"
#include "engine/compute.h"
#include "models/clip/clip_inference.h"
#include "models/clip/clip_model.h"

#include <QtTest>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace {

using Engine = ml::clip::ClipInference::Engine;

ml::clip::ClipConfig smallConfig(const std::string &act)
{
    ml::clip::ClipConfig cfg;
    auto &v = cfg.vision_config;
    v.hidden_size = 96;
    v.intermediate_size = 200;
    v.num_hidden_layers = 2;
    v.num_attention_heads = 3; // head width 32
    v.image_size = 64;
    v.patch_size = 16; // 17 positions
    v.hidden_act = act;
    auto &t = cfg.text_config;
    t.vocab_size = 300;
    t.hidden_size = 40;
    t.intermediate_size = 72;
    t.num_hidden_layers = 2;
    t.num_attention_heads = 5; // head width 8
    t.max_position_embeddings = 13;
    t.eos_token_id = 299;
    t.hidden_act = act;
    cfg.projection_dim = 24;
    return cfg;
}

double maxDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

class TestClipFused : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!ml::clip::cpuForwardAvailable())
            QSKIP("this build has no oneDNN: only the LibTorch engine exists");
    }

    void matchesLibTorch_data()
    {
        QTest::addColumn<QString>("act");
        QTest::addColumn<int>("batch");
        for (const char *act : {"quick_gelu", "gelu", "gelu_pytorch_tanh"})
            for (int batch : {1, 5})
                QTest::newRow(qPrintable(QString("%1 batch %2").arg(act).arg(batch))) << QString(act) << batch;
    }
    void matchesLibTorch()
    {
        QFETCH(QString, act);
        QFETCH(int, batch);
        c10::InferenceMode guard;
        at::manual_seed(11);
        ml::clip::ClipModel model(smallConfig(act.toStdString()));
        const ml::clip::ClipInference torchPath(*model, torch::kFloat, torch::kCPU, Engine::Torch);
        const ml::clip::ClipInference fused(*model, torch::kFloat, torch::kCPU, Engine::OneDnn);
        QCOMPARE(QString(fused.engineName()), QString("onednn"));

        const auto pixels = at::randn({batch, 3, 64, 64});
        const auto a = torchPath.imageEmbeddings(pixels), b = fused.imageEmbeddings(pixels);
        qInfo("image max |diff| %.3g", maxDiff(a, b));
        QVERIFY(maxDiff(a, b) < 2e-5);

        // Rows of different lengths: EOS then padding (id 1) after it.
        auto ids = at::randint(3, 298, {batch, 13}, at::TensorOptions().dtype(torch::kLong));
        for (int i = 0; i < batch; ++i) {
            const int eos = 4 + 2 * i % 9;
            ids[i][eos] = 299;
            ids[i].slice(0, eos + 1).fill_(1);
        }
        const auto ta = torchPath.textEmbeddings(ids), tb = fused.textEmbeddings(ids);
        qInfo("text max |diff| %.3g", maxDiff(ta, tb));
        QVERIFY(maxDiff(ta, tb) < 2e-5);

        const auto tokens = at::randn({batch, 7, 40});
        const auto eos = at::full({batch}, 6, at::TensorOptions().dtype(torch::kLong));
        QVERIFY(maxDiff(torchPath.textEmbeddingsFromTokens(tokens, eos), fused.textEmbeddingsFromTokens(tokens, eos))
            < 2e-5);
    }

    // bf16 on both engines (LibTorch's bf16 products with the fused residual add; the fused
    // engine end to end) against float32: every embedding within cosine 0.999.
    void bf16CloseToFp32()
    {
        if (!ml::detectCpuKind().nativeBf16)
            QSKIP("this CPU has no native bf16 (the policy runs fp32 here)");
        c10::InferenceMode guard;
        at::manual_seed(12);
        ml::clip::ClipModel model(smallConfig("gelu"));
        const ml::clip::ClipInference ref(*model, torch::kFloat, torch::kCPU, Engine::Torch);
        const auto pixels = at::randn({4, 3, 64, 64});
        auto ids = at::randint(3, 298, {4, 13}, at::TensorOptions().dtype(torch::kLong));
        ids.select(1, 12).fill_(299);
        const auto img = ref.imageEmbeddings(pixels), txt = ref.textEmbeddings(ids);
        for (Engine engine : {Engine::Torch, Engine::OneDnn}) {
            if (engine == Engine::OneDnn && !ml::clip::cpuForwardAvailable(/*bf16=*/true))
                continue; // oneDNN runs no bf16 here (an AVX2 cap): Auto takes the LibTorch engine
            const ml::clip::ClipInference bf16(*model, torch::kBFloat16, torch::kCPU, engine);
            const double ci = (bf16.imageEmbeddings(pixels) * img).sum(-1).min().item<double>();
            const double ct = (bf16.textEmbeddings(ids) * txt).sum(-1).min().item<double>();
            qInfo("%s bf16: image cosine >= %.6f, text cosine >= %.6f", bf16.engineName(), ci, ct);
            QVERIFY(ci >= 0.999);
            QVERIFY(ct >= 0.999);
        }
    }

    // A product oneDNN cannot run says so, instead of a wrong answer: here an engine asked for in
    // a dtype it does not take.
    void refusesWhatItCannotRun()
    {
        at::manual_seed(1);
        ml::clip::ClipModel model(smallConfig("quick_gelu"));
        QVERIFY_THROWS_EXCEPTION(ml::Error, ml::clip::ClipInference(*model, torch::kHalf, torch::kCPU, Engine::OneDnn));
        const ml::clip::ClipInference autoHalf(*model, torch::kHalf, torch::kCPU, Engine::Auto);
        QCOMPARE(static_cast<int>(autoHalf.engine()), static_cast<int>(Engine::Torch));
    }
};

QTEST_GUILESS_MAIN(TestClipFused)
#include "test_clip_fused.moc"
