// EngineText: a small table of core's fixed English phrases, each a whole-match pattern whose
// captures (paths, names, numbers) are put back unchanged. A message is "<name>: <reason>", so
// the first ": " after which a known reason follows splits the untouched name from it.
#include "common/engine_text.h"

#include <QRegularExpression>
#include <QStringList>

#include <functional>
#include <vector>

namespace {

struct Rule {
    QRegularExpression pattern; // matched against the whole text
    std::function<QString(const QRegularExpressionMatch &)> translate;
};

QRegularExpression whole(const QString &pattern)
{
    return QRegularExpression(QRegularExpression::anchoredPattern(pattern));
}

QString reason(const QString &text);

// Inner phrases: what a file starts with, why a video has no frames, why a file cannot be opened.
const std::vector<Rule> &detailRules()
{
    static const std::vector<Rule> rules {
        {whole(QStringLiteral("file starts with text \"(.*)\"")),
            [](const QRegularExpressionMatch &m) {
                return EngineText::tr("file starts with text \"%1\"").arg(m.captured(1));
            }},
        {whole(QStringLiteral("file starts with bytes((?: [0-9a-f]{2})+)")),
            [](const QRegularExpressionMatch &m) {
                return EngineText::tr("file starts with bytes %1").arg(m.captured(1).trimmed());
            }},
        {whole(QStringLiteral("no decodable frames")),
            [](const QRegularExpressionMatch &) { return EngineText::tr("no decodable frames"); }},
        {whole(QStringLiteral("not readable")),
            [](const QRegularExpressionMatch &) { return EngineText::tr("not readable"); }},
    };
    return rules;
}

QString detail(const QString &text)
{
    for (const Rule &rule : detailRules())
        if (const QRegularExpressionMatch m = rule.pattern.match(text); m.hasMatch())
            return rule.translate(m);
    return reason(text); // "no such file" and friends, or the text as it is
}

// The reasons that follow "<file>: ".
const std::vector<Rule> &reasonRules()
{
    using M = QRegularExpressionMatch;
    static const std::vector<Rule> rules {
        // Files.
        {whole(QStringLiteral("no such file")), [](const M &) { return EngineText::tr("no such file"); }},
        {whole(QStringLiteral("no such file or folder")),
            [](const M &) { return EngineText::tr("no such file or folder"); }},
        {whole(QStringLiteral("cannot access \\((.+)\\)")),
            [](const M &m) { return EngineText::tr("cannot access (%1)").arg(m.captured(1)); }},
        {whole(QStringLiteral("is a directory, not a media file")),
            [](const M &) { return EngineText::tr("is a directory, not a media file"); }},
        {whole(QStringLiteral("not a regular file")), [](const M &) { return EngineText::tr("not a regular file"); }},
        {whole(QStringLiteral("file is empty \\(0 bytes\\)")),
            [](const M &) { return EngineText::tr("file is empty (0 bytes)"); }},
        {whole(QStringLiteral("cannot open \\((.+)\\)")),
            [](const M &m) { return EngineText::tr("cannot open (%1)").arg(detail(m.captured(1))); }},
        {whole(QStringLiteral("read error")), [](const M &) { return EngineText::tr("read error"); }},
        // Images and videos.
        {whole(QStringLiteral("not a decodable image \\((.+)\\)")),
            [](const M &m) { return EngineText::tr("not a decodable image (%1)").arg(detail(m.captured(1))); }},
        {whole(QStringLiteral("not a supported image or video \\((.+)\\)")),
            [](const M &m) {
                return EngineText::tr("not a supported image or video (%1)").arg(detail(m.captured(1)));
            }},
        {whole(QStringLiteral("image file too large \\(over 2 GiB\\)")),
            [](const M &) { return EngineText::tr("image file too large (over 2 GiB)"); }},
        {whole(QStringLiteral("truncated or corrupt (\\S+) image \\(the decoder gave up\\)")),
            [](const M &m) {
                return EngineText::tr("truncated or corrupt %1 image (the decoder gave up)").arg(m.captured(1));
            }},
        {whole(QStringLiteral("not a decodable video \\((.+)\\)")),
            [](const M &m) { return EngineText::tr("not a decodable video (%1)").arg(detail(m.captured(1))); }},
        {whole(QStringLiteral("truncated or corrupt video \\((.+)\\)")),
            [](const M &m) { return EngineText::tr("truncated or corrupt video (%1)").arg(detail(m.captured(1))); }},
        {whole(QStringLiteral("no video stream \\(audio only\\)")),
            [](const M &) { return EngineText::tr("no video stream (audio only)"); }},
        {whole(QStringLiteral("no video stream \\(only a cover picture\\)")),
            [](const M &) { return EngineText::tr("no video stream (only a cover picture)"); }},
        // Checkpoints.
        {whole(QStringLiteral("not a CLIP checkpoint \\(config says '(.*)'\\)")),
            [](const M &m) { return EngineText::tr("not a CLIP checkpoint (config says '%1')").arg(m.captured(1)); }},
        {whole(QStringLiteral("no weights found \\(expected .+\\)")),
            [](const M &) {
                return EngineText::tr("no weights found (expected model.safetensors, "
                                      "diffusion_pytorch_model.safetensors, open_clip_model.safetensors, a "
                                      "*.safetensors.index.json with its shards, or one *.safetensors)");
            }},
        {whole(QStringLiteral("the model needs about (.+), more than the (.+) of memory for models \\(raise it in "
                              "Settings, with --model-memory or MODALLENS_MODEL_MEMORY\\)")),
            [](const M &m) {
                return EngineText::tr("the model needs about %1, more than the %2 of memory for models (raise it in "
                                      "Settings)")
                    .arg(m.captured(1), m.captured(2));
            }},
        {whole(QStringLiteral("the sizes in this config are absurd \\(the model would need about (.+) or more\\); is "
                              "it a real model's config\\?")),
            [](const M &m) {
                return EngineText::tr(
                    "the sizes in this config are absurd (the model would need about %1 or more); is it a real "
                    "model's config?")
                    .arg(m.captured(1));
            }},
        {whole(QStringLiteral("the checkpoint has no tensor '(.+)'")),
            [](const M &m) { return EngineText::tr("the checkpoint has no tensor '%1'").arg(m.captured(1)); }},
        {whole(QStringLiteral("the checkpoint does not fit the model \\((\\d+) missing, (\\d+) mismatched, (\\d+) "
                              "unexpected\\)")),
            [](const M &m) {
                return EngineText::tr(
                    "the checkpoint does not fit the model (%1 missing, %2 mismatched, %3 unexpected)")
                    .arg(m.captured(1), m.captured(2), m.captured(3));
            }},
        {whole(QStringLiteral("missing shard file\\(s\\): (.+)")),
            [](const M &m) { return EngineText::tr("missing shard file(s): %1").arg(m.captured(1)); }},
        {whole(QStringLiteral("invalid JSON: (.+)")),
            [](const M &m) { return EngineText::tr("invalid JSON: %1").arg(m.captured(1)); }},
        {whole(QStringLiteral("not a JSON object")), [](const M &) { return EngineText::tr("not a JSON object"); }},
        {whole(QStringLiteral("file is truncated \\((\\d+) bytes, need at least 8\\)")),
            [](const M &m) {
                return EngineText::tr("file is truncated (%1 bytes, need at least 8)").arg(m.captured(1));
            }},
        {whole(QStringLiteral("header is not valid JSON \\(parse error at byte (\\d+)\\)")),
            [](const M &m) {
                return EngineText::tr("header is not valid JSON (parse error at byte %1)").arg(m.captured(1));
            }},
        {whole(QStringLiteral("the weights here are pickles \\((.+)\\), which can run arbitrary code when loaded, so "
                              "they are not read\\. Convert them to safetensors once, in Python:")),
            [](const M &m) {
                return EngineText::tr("the weights here are pickles (%1), which can run arbitrary code when loaded, so "
                                      "they are not read. Convert them to safetensors once, in Python:")
                    .arg(m.captured(1));
            }},
        {whole(QStringLiteral(
             "no such folder, and no embedded, app or Hugging Face cache model has that name \\(see `(.+)`\\)")),
            [](const M &m) {
                return EngineText::tr(
                    "no such folder, and no embedded, app or Hugging Face cache model has that name (see `%1`)")
                    .arg(m.captured(1));
            }},
        // Hostile and damaged input (issue 17): what a job or a warning says.
        {whole(QStringLiteral("out of memory: '(.+)' asked for more memory than this machine can give(?: \\((.+)\\))?; "
                              "try a smaller batch, size or model, or free memory")),
            [](const M &m) {
                return EngineText::tr("out of memory: '%1' asked for more memory than this machine can give; try a "
                                      "smaller batch, size or model, or free memory")
                    .arg(EngineText::jobName(m.captured(1)));
            }},
        {whole(QStringLiteral("changed while being indexed \\(its size or time is not the scan's\\); it is indexed "
                              "again on the next run")),
            [](const M &) {
                return EngineText::tr("changed while being indexed (its size or time is not the scan's); it is "
                                      "indexed again on the next run");
            }},
        {whole(QStringLiteral("weight '(.+)' holds (\\d+) NaN and (\\d+) infinite value\\(s\\): results computed "
                              "with it will be NaN or infinite \\(a damaged checkpoint\\?\\)")),
            [](const M &m) {
                return EngineText::tr("weight '%1' holds %2 NaN and %3 infinite value(s): results computed with it "
                                      "will be NaN or infinite (a damaged checkpoint?)")
                    .arg(m.captured(1), m.captured(2), m.captured(3));
            }},
        {whole(
             QStringLiteral("the prompt is (\\d+) positions long, more than the (\\d+) this model reads beside its "
                            "answer \\((\\d+) in all\\): the oldest (\\d+) tokens of the conversation were left out")),
            [](const M &m) {
                return EngineText::tr("the prompt is %1 positions long, more than the %2 this model reads beside its "
                                      "answer (%3 in all): the oldest %4 tokens of the conversation were left out")
                    .arg(m.captured(1), m.captured(2), m.captured(3), m.captured(4));
            }},
        // The engine's own frames.
        {whole(QStringLiteral("cancelled")), [](const M &) { return EngineText::tr("cancelled"); }},
        {whole(QStringLiteral("unknown error in job '(.+)'")),
            [](const M &m) { return EngineText::tr("unknown error in job '%1'").arg(m.captured(1)); }},
    };
    return rules;
}

// The translation of text when it is one of the known reasons; else text itself.
QString reason(const QString &text)
{
    for (const Rule &rule : reasonRules())
        if (const QRegularExpressionMatch m = rule.pattern.match(text); m.hasMatch())
            return rule.translate(m);
    return text;
}

bool isReason(const QString &text)
{
    for (const Rule &rule : reasonRules())
        if (rule.pattern.match(text).hasMatch())
            return true;
    return false;
}

// One line: "<name>: <name>: <reason>"; the names (paths) stay as they are.
QString line(const QString &text)
{
    // The indented lines of a checkpoint that does not fit.
    static const QRegularExpression listed(
        whole(QStringLiteral("(\\s+)(missing|unexpected|mismatched): (.+?)(?:: checkpoint (\\S+), model (\\S+))?")));
    if (const QRegularExpressionMatch m = listed.match(text); m.hasMatch()) {
        const QString indent = m.captured(1), name = m.captured(3);
        if (m.captured(2) == QLatin1String("missing"))
            return indent + EngineText::tr("missing: %1").arg(name);
        if (m.captured(2) == QLatin1String("unexpected"))
            return indent + EngineText::tr("unexpected: %1").arg(name);
        if (m.capturedLength(4) > 0)
            return indent
                + EngineText::tr("mismatched: %1: checkpoint %2, model %3").arg(name, m.captured(4), m.captured(5));
    }
    if (text == QLatin1String("or, for a plain state dict:"))
        return EngineText::tr("or, for a plain state dict:");
    if (isReason(text))
        return reason(text);
    for (qsizetype at = text.indexOf(QLatin1String(": ")); at >= 0; at = text.indexOf(QLatin1String(": "), at + 2)) {
        const QString rest = text.mid(at + 2);
        if (isReason(rest))
            return text.left(at + 2) + reason(rest);
    }
    return text;
}

struct JobRule {
    QRegularExpression pattern;
    std::function<QString(const QRegularExpressionMatch &)> translate;
};

int count(const QRegularExpressionMatch &m, int i = 1)
{
    return m.captured(i).toInt();
}

} // namespace

QString EngineText::error(const QString &message)
{
    QStringList lines = message.split(QLatin1Char('\n'));
    for (QString &l : lines)
        l = line(l);
    return lines.join(QLatin1Char('\n'));
}

QString EngineText::jobName(const QString &name)
{
    using M = QRegularExpressionMatch;
    static const std::vector<JobRule> rules {
        {whole(QStringLiteral("Classify (\\d+) images?")),
            [](const M &m) { return tr("Classifying %n photos", nullptr, count(m)); }},
        {whole(QStringLiteral("Evaluate (.+)")), [](const M &m) { return tr("Evaluating %1").arg(m.captured(1)); }},
        {whole(QStringLiteral("Embed (\\d+) images?")),
            [](const M &m) { return tr("Embedding %n photos", nullptr, count(m)); }},
        {whole(QStringLiteral("Embed (\\d+) texts?")),
            [](const M &m) { return tr("Embedding %n texts", nullptr, count(m)); }},
        {whole(QStringLiteral("Tokenize (\\d+) texts?")),
            [](const M &m) { return tr("Tokenising %n texts", nullptr, count(m)); }},
        {whole(QStringLiteral("Explain \\(attention\\)")), [](const M &) { return tr("Explaining (raw attention)"); }},
        {whole(QStringLiteral("Explain \\(rollout\\)")),
            [](const M &) { return tr("Explaining (attention rollout)"); }},
        {whole(QStringLiteral("Explain \\(relevance\\)")), [](const M &) { return tr("Explaining (relevance)"); }},
        {whole(QStringLiteral("Search")), [](const M &) { return tr("Searching"); }},
        {whole(QStringLiteral("Index (\\d+) location\\(s\\)")),
            [](const M &m) { return tr("Indexing %n locations", nullptr, count(m)); }},
        {whole(QStringLiteral("Near-duplicates")), [](const M &) { return tr("Finding near-duplicates"); }},
        {whole(QStringLiteral("Learn a prompt \\(CoOp\\) for (.+)")),
            [](const M &m) { return tr("Learning a prompt (CoOp) for %1").arg(m.captured(1)); }},
        {whole(QStringLiteral("Train (\\S+) \\((\\S+)\\)")),
            [](const M &m) { return tr("Training %1 (%2)").arg(m.captured(1), m.captured(2)); }},
        {whole(QStringLiteral("Zero-shot evaluation \\((.+)\\)")),
            [](const M &m) { return tr("Zero-shot evaluation (%1)").arg(m.captured(1)); }},
        {whole(QStringLiteral("DDPM sample quality \\((.+)\\)")),
            [](const M &m) { return tr("DDPM sample quality (%1)").arg(m.captured(1)); }},
        {whole(QStringLiteral("Open diffusion model")), [](const M &) { return tr("Opening the diffusion model"); }},
        {whole(QStringLiteral("Denoise")), [](const M &) { return tr("Denoising"); }},
        {whole(QStringLiteral("Forward process")), [](const M &) { return tr("Noising the image (forward process)"); }},
        {whole(QStringLiteral("Sample gallery")), [](const M &) { return tr("Writing the sample gallery"); }},
        {whole(QStringLiteral("Chat")), [](const M &) { return tr("Answering in Chat"); }},
        {whole(QStringLiteral("Q-Former")), [](const M &) { return tr("Reading the Q-Former"); }},
        {whole(QStringLiteral("Query ablation")),
            [](const M &) { return tr("Measuring which queries the answer used"); }},
    };
    for (const JobRule &rule : rules)
        if (const QRegularExpressionMatch m = rule.pattern.match(name); m.hasMatch())
            return rule.translate(m);
    return name;
}
