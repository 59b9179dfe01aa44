// LLaVA training: the conversations (every question type, one to three rounds, captions from left
// to right, the held-out colour-shape pairs in no training text or image), answer-only labels with
// each answer's </s>, the loss over answer tokens, the loss falling on a fixed batch, a tiny run
// whose folder LlavaRuntime loads and whose answers the chat job gives alike, resume, and
// llava-mini's accuracy against the targets.
#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/llava_train_service.h"
#include "engine/vqa_eval_service.h"
#include "io/checkpoint.h"
#include "io/media.h"
#include "io/safetensors.h"
#include "models/clip/clip_runtime.h"
#include "models/llava/llava_config.h"
#include "models/llava/llava_model.h"
#include "models/llava/llava_runtime.h"
#include "text/llama_tokenizer.h"
#include "train/blip2_data.h"
#include "train/llava_answers.h"
#include "train/llava_data.h"
#include "train/llava_trainer.h"
#include "train/run_folder.h"
#include "train_recorder.h"
#include "vlm_train_test_util.h"

#include <QtTest>

#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>

#include <filesystem>
#include <set>

using namespace ml::train;
using vlm_train_test::mentionsHeldOutPair;
namespace fs = std::filesystem;

namespace {

ml::LlavaTrainResult train(const ml::LlavaTrainRequest &request, TrainRecorder &recorder)
{
    return vlm_train_test::runTrainJob<ml::LlavaTrainResult>(ml::makeLlavaTrainJob(request), recorder);
}

#ifdef MODALLENS_HAVE_SENTENCEPIECE
constexpr bool kHaveSentencePiece = true;
#else
constexpr bool kHaveSentencePiece = false;
#endif

} // namespace

class TestLlavaTrainer : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    fs::path m_tokenizerDir;
    LlavaVocab m_vocab;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        if (!kHaveSentencePiece)
            return;
        const LlavaDataSource source(7, {});
        m_tokenizerDir = fs::path(m_tmp.path().toStdString()) / "tokenizer";
        fs::create_directories(m_tokenizerDir);
        ml::text::trainSentencePiece(source.textCorpus(4, 32), m_tokenizerDir / "tokenizer.model", 320);
        m_vocab.pieces = ml::text::LlamaTokenizer::fromModelFile(m_tokenizerDir / "tokenizer.model", {}).pieceCount();
        LlavaTrainConfig c = LlavaTrainConfig::fromPreset("tiny");
        const nlohmann::json vision = {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 1},
            {"num_attention_heads", 2}, {"image_size", 64}, {"patch_size", 16}};
        const nlohmann::json processor = {{"image_processor_type", "CLIPImageProcessor"},
            {"size", {{"shortest_edge", 64}}}, {"crop_size", {{"height", 64}, {"width", 64}}}};
        writeLlavaFolderFiles(m_tokenizerDir, llavaConfigJson(c, vision, m_vocab), processor, m_vocab);
    }

    void conversations()
    {
        const LlavaDataSource source(7, {});
        std::map<std::string, int> types, rounds;
        for (const LlavaExample &ex : source.batch(0, 64, false)) {
            QVERIFY(!ex.turns.empty() && ex.turns.size() <= 3);
            ++rounds[std::to_string(ex.turns.size())];
            std::set<std::string> questions;
            for (const LlavaTurn &t : ex.turns) {
                ++types[t.type];
                QVERIFY(!t.answer.empty());
                QVERIFY2(questions.insert(t.question).second, t.question.c_str()); // rounds differ
            }
            QCOMPARE(ex.image.width, 64);
        }
        for (const char *type : {"color", "shape", "count", "exists", "where", "caption"})
            QVERIFY2(types[type] > 0, type);
        for (const char *n : {"1", "2", "3"})
            QVERIFY2(rounds[n] > 0, n);
        for (const LlavaExample &ex : source.batch(1, 16, true)) { // stage 1: the caption alone
            QCOMPARE(ex.turns.size(), std::size_t {1});
            QCOMPARE(ex.turns[0].question, std::string(kLlavaCaptionPrompt));
            QVERIFY2(captionNamesEveryObject(ex.turns[0].answer, ex.scene), ex.turns[0].answer.c_str());
        }
        // A batch is a pure function of its index.
        QCOMPARE(source.batch(3, 8, false)[5].turns.back().answer, source.batch(3, 8, false)[5].turns.back().answer);
        const std::string text = conversationText(
            {{"what color is the circle?", "red", "color"}, {"how many shapes are there?", "one", "count"}});
        QCOMPARE(text,
            std::string("USER: <image>\nwhat color is the circle? ASSISTANT: red</s>USER: how many shapes are there? "
                        "ASSISTANT: one</s>"));
    }

    void captionsFromLeftToRight()
    {
        Scene scene;
        ShapeObject a, b;
        a.shape = Shape::Square;
        a.colour = Colour::Blue;
        a.x = 40;
        b.shape = Shape::Circle;
        b.colour = Colour::Red;
        b.x = 4;
        scene.objects = {a, b};
        QCOMPARE(llavaCaption(scene),
            std::string("two shapes: a small red circle on the left and a small blue square on the right"));
        QVERIFY(captionNamesEveryObject(llavaCaption(scene), scene));
        scene.objects = {a};
        QCOMPARE(llavaCaption(scene), std::string("a small blue square on the right"));
        scene.objects = {a, b};
        QVERIFY(!captionNamesEveryObject("a red circle and a blue circle", scene));
        scene.objects = {b, b};
        QVERIFY(!captionNamesEveryObject("a red circle", scene)); // twice in the scene, once in the caption
        QVERIFY(captionNamesEveryObject("two shapes: a red circle and a small red circle", scene));
        QCOMPARE(captionSet(5, 10).size(), std::size_t {10});
        for (const CaptionItem &c : captionSet(5, 10))
            QCOMPARE(c.scene.objects.size(), std::size_t {2});
    }

    void heldOutPairsNeverTrained()
    {
        const LlavaDataSource source(11, {});
        int objects = 0;
        for (std::int64_t b = 0; b < 20; ++b)
            for (const bool captions : {true, false})
                for (const LlavaExample &ex : source.batch(b, 25, captions)) {
                    for (const ShapeObject &o : ex.scene.objects) {
                        QVERIFY(!isHeldOut(o.colour, o.shape));
                        ++objects;
                    }
                    for (const LlavaTurn &t : ex.turns) {
                        QVERIFY2(!mentionsHeldOutPair(t.question), t.question.c_str());
                        QVERIFY2(!mentionsHeldOutPair(t.answer), t.answer.c_str());
                    }
                }
        QVERIFY(objects > 1000);
        for (const std::string &text : source.textCorpus(5, 50)) {
            QVERIFY2(!mentionsHeldOutPair(text), text.c_str());
            QVERIFY(text.find("<image>") == std::string::npos && text.find("</s>") == std::string::npos);
        }
    }

    // Labels on each answer and its </s> only, numbered by answer; the prompt a prefix of the whole.
    void answerOnlyLabels()
    {
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        const auto tok = ml::text::LlamaTokenizer::fromFolder(m_tokenizerDir);
        QCOMPARE(tok.tokenId("<image>"), std::optional<std::int64_t>(m_vocab.imageToken()));
        QCOMPARE(tok.padId(), std::optional<std::int64_t>(m_vocab.padToken()));
        QCOMPARE(tok.vocabSize(), m_vocab.size());
        LlavaExample two, one;
        two.turns = {{"what color is the circle?", "red", "color"}, {kLlavaCaptionPrompt, "a red circle", "caption"}};
        one.turns = {{"how many shapes are there?", "three", "count"}};
        const LlavaTokens t = tokenizeConversations({two, one}, tok, m_vocab.imageToken(), 16, 192);
        QCOMPARE(t.answers, std::int64_t {3});
        QCOMPARE(t.inputIds.size(0), std::int64_t {2});
        QCOMPARE(t.inputIds[0][t.imagePosition].item<std::int64_t>(), m_vocab.imageToken());
        QCOMPARE(t.inputIds[1][t.imagePosition].item<std::int64_t>(), m_vocab.imageToken());
        for (std::int64_t row = 0; row < 2; ++row) {
            const auto &ex = row == 0 ? two : one;
            std::vector<std::int64_t> ids;
            for (std::int64_t i = 0; i < t.inputIds.size(1); ++i)
                if (t.attentionMask[row][i].item<std::int64_t>())
                    ids.push_back(t.inputIds[row][i].item<std::int64_t>());
                else
                    QCOMPARE(t.labels[row][i].item<std::int64_t>(), std::int64_t {-100}); // padding
            QCOMPARE(ids, encodeConversation(tok, conversationText(ex.turns)));
            // Each answer's labelled tokens decode to " answer" and end with </s>.
            std::map<std::int64_t, std::vector<std::int64_t>> byAnswer;
            for (std::int64_t i = 0; i < static_cast<std::int64_t>(ids.size()); ++i) {
                const auto label = t.labels[row][i].item<std::int64_t>(), owner = t.answer[row][i].item<std::int64_t>();
                QCOMPARE(label >= 0, owner >= 0);
                if (label >= 0) {
                    QCOMPARE(label, ids[static_cast<std::size_t>(i)]);
                    byAnswer[owner].push_back(label);
                }
            }
            QCOMPARE(byAnswer.size(), ex.turns.size());
            std::size_t k = 0;
            for (auto &[owner, labels] : byAnswer) {
                QCOMPARE(labels.back(), tok.eosId());
                labels.pop_back();
                QCOMPARE(tok.decode(labels), ex.turns[k++].answer);
            }
        }
        QVERIFY_THROWS_EXCEPTION(ml::Error, tokenizeConversations({two}, tok, m_vocab.imageToken(), 64, 70));
    }

    void lossOverAnswerTokens()
    {
        // Three labelled tokens: one at uniform logits (log 4), two predicted at once (~0).
        auto logits = torch::zeros({1, 5, 4});
        logits[0][2][1] = 50.0; // predicts token 1 at position 3
        logits[0][3][2] = 50.0; // predicts token 2 at position 4
        const auto labels = torch::tensor({-100, 3, -100, 1, 2}, torch::kLong).view({1, 5});
        const double loss = conversationLoss(logits, labels).item<double>();
        QVERIFY2(std::abs(loss - std::log(4.0) / 3.0) < 1e-4, qPrintable(QString::number(loss)));
    }

    // The decoder learns a fixed batch: the answer loss falls far within a few dozen steps.
    void lossFallsOnAFixedBatch()
    {
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        torch::manual_seed(3);
        const auto tok = ml::text::LlamaTokenizer::fromFolder(m_tokenizerDir);
        const auto cfg
            = ml::llava::LlavaConfig::fromJson(ml::io::readJsonFile(m_tokenizerDir / "config.json"), "config.json");
        QVERIFY(cfg.text.kvHeads() < cfg.text.num_attention_heads); // GQA
        ml::llava::LlavaModel model(cfg);
        const LlavaDataSource source(5, {});
        const auto examples = source.batch(0, 8, false);
        std::vector<ml::io::RgbImage> images;
        for (const auto &ex : examples)
            images.push_back(ex.image);
        ml::clip::ClipImageProcessorConfig processor;
        processor.shortest_edge = processor.crop_height = processor.crop_width = 64;
        const auto pixels = llavaPixels(images, ml::clip::preprocessParams(processor));
        const LlavaTokens t = tokenizeConversations(examples, tok, m_vocab.imageToken(), cfg.imageTokens(), 192);
        torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
        const std::int64_t p = t.imagePosition, T = t.inputIds.size(1), B = t.inputIds.size(0), N = cfg.imageTokens();
        const auto around = [&](const torch::Tensor &x, const torch::Tensor &mid) {
            return torch::cat({x.slice(1, 0, p), mid, x.slice(1, p + 1, T)}, 1);
        };
        const auto labels = around(t.labels, torch::full({B, N}, std::int64_t {-100}, torch::kLong));
        const auto mask = around(t.attentionMask, torch::ones({B, N}, torch::kLong));
        const auto loss = [&] {
            auto &lm = model->languageModel();
            const auto embeds = around(lm->embedTokens(t.inputIds), model->imageFeatures(pixels).projected);
            return conversationLoss(lm->forward(embeds, nullptr, mask, {}).logits, labels);
        };
        vlm_train_test::verifyLossFalls(loss, optimizer);
    }

    // A tiny run (both stages, from clip-mini's vision tower): a llava-hf folder LlavaRuntime
    // loads, whose chat job answers as the evaluator does, and which a resume continues.
    void tinyRunWritesALoadableFolder()
    {
        if (!kHaveSentencePiece)
            QSKIP("built without SentencePiece");
        const fs::path out = fs::path(m_tmp.path().toStdString()) / "tiny-run";
        TrainRecorder recorder;
        auto request = vlm_train_test::tinyRequest<ml::LlavaTrainRequest>(out);
        const ml::LlavaTrainResult r = train(request, recorder);
        QCOMPARE(r.steps, r.totalSteps);
        QVERIFY(r.stage1Steps > 0 && r.stage1Steps < r.steps);
        QVERIFY(std::isfinite(r.finalLoss));
        QVERIFY(r.evaluation.shapes >= 0.0 && r.captions >= 0.0); // evaluated at the end (tiny: little learnt)
        QCOMPARE(recorder.metrics.size(), std::size_t(r.steps));
        QVERIFY(recorder.metrics.back().loss < recorder.metrics.front().loss); // it learns
        QVERIFY(!recorder.samples.empty());
        QVERIFY(!recorder.samples.back().samples.front().question.empty());
        for (const char *file : {"config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json",
                 "special_tokens_map.json", "preprocessor_config.json", "generation_config.json", "README.md",
                 "trainer_state.json", "trainer_state.safetensors", "metrics.jsonl"})
            QVERIFY2(fs::exists(out / file), file);
        const auto weights = ml::io::SafetensorsFile::open(out / "model.safetensors");
        for (const char *key : {"vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight",
                 "multi_modal_projector.linear_1.weight", "multi_modal_projector.linear_2.bias",
                 "language_model.model.layers.0.self_attn.k_proj.weight", "language_model.lm_head.weight"})
            QVERIFY2(weights->contains(key), key);
        QCOMPARE(checkpointKind(out), std::optional<RunKind>(RunKind::Llava));
        QCOMPARE(readRunState(out).kind, RunKind::Llava);

        const auto rt = ml::llava::LlavaRuntime::load(out, torch::kFloat, torch::kCPU);
        QVERIFY(rt->warnings().empty());
        QCOMPARE(rt->config().image_token_index, rt->tokenizer().tokenId("<image>").value_or(-1));
        QCOMPARE(rt->config().text.vocab_size, rt->tokenizer().vocabSize());
        const std::vector<VqaItem> items = shapesVqaSet(9, 3, 0);
        std::vector<torch::Tensor> pixels;
        std::vector<std::vector<std::int64_t>> ids;
        for (const VqaItem &item : items) {
            pixels.push_back(rt->pixels(item.image.pixels.data(), item.image.height, item.image.width));
            ids.push_back(rt->encodePrompt(ml::llava::LlavaRuntime::formatPrompt({}, item.question)));
        }
        LlavaAnswerOptions options;
        options.maxNewTokens = 6;
        const auto answers = llavaGreedyAnswers(*rt->model(), rt->tokenizer(), torch::cat(pixels), ids, options);
        QVERIFY(answers.has_value());
#ifdef MODALLENS_HAVE_MEDIA
        for (std::size_t i = 0; i < items.size(); ++i) { // the chat job, as a user asks
            const fs::path image = out / ("q" + std::to_string(i) + ".png");
            ml::io::saveImage(items[i].image, image);
            ml::ChatRequest chat;
            chat.model = out.string();
            chat.image = image.string();
            chat.prompt = items[i].question;
            chat.rawPrompt = false;
            chat.sampling.maxNewTokens = 6;
            chat.compute.dtype = "fp32";
            TrainRecorder listener;
            ml::JobContext ctx(2, &listener, listener.cancel);
            const auto result = std::any_cast<ml::ChatResult>(ml::makeChatJob(chat).run(ctx));
            QCOMPARE(result.family, std::string("llava"));
            QCOMPARE(result.promptIds, ids[i]);
            std::vector<std::int64_t> got;
            for (const auto &t : result.tokens)
                got.push_back(t.id);
            QCOMPARE(got, (*answers)[i].ids);
            QCOMPARE(result.text, (*answers)[i].text);
        }
#endif

        // Resume: more steps continue the run where it ended.
        request.resume = true;
        request.steps = r.steps + 2;
        TrainRecorder again;
        const ml::LlavaTrainResult more = train(request, again);
        QCOMPARE(more.startStep, r.steps);
        QCOMPARE(more.steps, r.steps + 2);
        QCOMPARE(again.metrics.size(), std::size_t {2});
    }

    // The embedded llava-mini on a fixed set against the targets: Shapes VQA exact match
    // >= 90 % overall and >= 80 % per question type; two-object captions naming every object >= 85 %.
    void llavaMiniAccuracy()
    {
        ml::VqaEvalRequest request;
        request.model = "llava-mini";
        request.shapes = 300;
        request.captions = 100;
        request.compute.dtype = "fp32";
        ml::VqaEvalResult r;
        try {
            r = ml::evaluateVqa(request);
        } catch (const ml::Error &e) {
            QSKIP(qPrintable(QString("llava-mini not available: %1").arg(e.what())));
        }
        for (const auto &[type, acc] : r.perType)
            qInfo("%s: %.1f %% of %lld", type.c_str(), 100.0 * acc, static_cast<long long>(r.perTypeN.at(type)));
        qInfo("shapes %.1f %% of %lld, held-out pairs %.1f %% of %lld, captions %.1f %% of %lld", 100.0 * r.shapes,
            static_cast<long long>(r.shapesN), 100.0 * r.heldOut, static_cast<long long>(r.heldOutN),
            100.0 * r.captions, static_cast<long long>(r.captionsN));
        QCOMPARE(r.shapesN, std::int64_t {300});
        for (const char *type : {"color", "shape", "count", "exists", "where"})
            QVERIFY2(r.perType.at(type) >= 0.80, qPrintable(QString("%1 %2").arg(type).arg(r.perType.at(type))));
        QVERIFY2(r.shapes >= 0.90, qPrintable(QString::number(r.shapes)));
        QVERIFY2(r.captions >= 0.85, qPrintable(QString::number(r.captions)));
    }
};

QTEST_GUILESS_MAIN(TestLlavaTrainer)
#include "test_llava_trainer.moc"
