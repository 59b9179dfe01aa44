// libmodallens_sentencepiece: SentencePiece behind a C interface (see sentencepiece_module.h).
// Built only with libsentencepiece-dev; never linked, only loaded by text/sentencepiece_model.cpp.
#include "text/sentencepiece_module.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using sentencepiece::SentencePieceProcessor;

const SentencePieceProcessor &processor(const void *p)
{
    return *static_cast<const SentencePieceProcessor *>(p);
}

int report(const sentencepiece::util::Status &status, MlSpEmit error, void *context)
{
    if (status.ok())
        return 0;
    const std::string text = status.ToString();
    error(context, text.data(), text.size());
    return 1;
}

int reportException(const std::exception &e, MlSpEmit error, void *context)
{
    const std::string text = e.what();
    error(context, text.data(), text.size());
    return 1;
}

void *load(const char *model, std::size_t size, MlSpEmit error, void *context)
{
    try {
        auto *sp = new SentencePieceProcessor;
        if (report(sp->LoadFromSerializedProto(std::string_view(model, size)), error, context) != 0) {
            delete sp;
            return nullptr;
        }
        return sp;
    } catch (const std::exception &e) {
        reportException(e, error, context);
        return nullptr;
    }
}

void release(void *p)
{
    delete static_cast<SentencePieceProcessor *>(p);
}

int encode(const void *p, const char *text, std::size_t size, MlSpEmit piece, MlSpEmit error, void *context)
{
    try {
        std::vector<std::string> pieces;
        if (report(processor(p).Encode(std::string_view(text, size), &pieces), error, context) != 0)
            return 1;
        for (const std::string &s : pieces)
            piece(context, s.data(), s.size());
        return 0;
    } catch (const std::exception &e) {
        return reportException(e, error, context);
    }
}

int decode(const void *p, const char *const *pieces, const std::size_t *sizes, std::size_t count, MlSpEmit text,
    MlSpEmit error, void *context)
{
    try {
        std::vector<std::string> all;
        all.reserve(count);
        for (std::size_t i = 0; i < count; ++i)
            all.emplace_back(pieces[i], sizes[i]);
        std::string out;
        if (report(processor(p).Decode(all, &out), error, context) != 0)
            return 1;
        text(context, out.data(), out.size());
        return 0;
    } catch (const std::exception &e) {
        return reportException(e, error, context);
    }
}

int pieceSize(const void *p)
{
    return processor(p).GetPieceSize();
}

int pieceToId(const void *p, const char *piece, std::size_t size)
{
    return processor(p).PieceToId(std::string_view(piece, size));
}

void idToPiece(const void *p, int id, MlSpEmit piece, void *context)
{
    const std::string &s = processor(p).IdToPiece(id);
    piece(context, s.data(), s.size());
}

int isByte(const void *p, int id)
{
    return processor(p).IsByte(id) ? 1 : 0;
}

int unkId(const void *p)
{
    return processor(p).unk_id();
}

class Sentences : public sentencepiece::SentenceIterator {
public:
    Sentences(const char *const *sentences, const std::size_t *sizes, std::size_t count)
        : m_sentences(sentences)
        , m_sizes(sizes)
        , m_count(count)
    {
        load();
    }
    bool done() const override { return m_next >= m_count; }
    void Next() override
    {
        ++m_next;
        load();
    }
    const std::string &value() const override { return m_value; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    void load()
    {
        if (m_next < m_count)
            m_value.assign(m_sentences[m_next], m_sizes[m_next]);
    }
    const char *const *m_sentences;
    const std::size_t *m_sizes;
    std::size_t m_count;
    std::size_t m_next = 0;
    std::string m_value;
};

int train(const char *const *sentences, const std::size_t *sizes, std::size_t count, const char *const *keys,
    const char *const *values, std::size_t argCount, MlSpEmit model, MlSpEmit error, void *context)
{
    try {
        std::unordered_map<std::string, std::string> args;
        for (std::size_t i = 0; i < argCount; ++i)
            args[keys[i]] = values[i];
        Sentences iterator(sentences, sizes, count);
        std::string serialized;
        if (report(sentencepiece::SentencePieceTrainer::Train(args, &iterator, &serialized), error, context) != 0)
            return 1;
        model(context, serialized.data(), serialized.size());
        return 0;
    } catch (const std::exception &e) {
        return reportException(e, error, context);
    }
}

const MlSpApi kApi
    = {kMlSpApiVersion, load, release, encode, decode, pieceSize, pieceToId, idToPiece, isByte, unkId, train};

} // namespace

extern "C" __attribute__((visibility("default"))) const MlSpApi *modallens_sentencepiece_api(void)
{
    return &kApi;
}
