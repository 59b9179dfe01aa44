// The C interface of libmodallens_sentencepiece, a module that wraps libsentencepiece and is
// loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by text/sentencepiece_model.cpp only.
//
// Why a module: Debian's libsentencepiece.so.0 carries its own protobuf 3.14 and exports all of
// its symbols, while LibTorch loads the system's libprotobuf.so.32 (3.21). Linked into one
// program they bind to each other's functions: the program crashes before main(), or protobuf
// aborts on the version mismatch. Kept out of the global symbol scope and bound to itself first,
// SentencePiece keeps its own protobuf. Nothing allocated on one side is freed on the other:
// text goes in as (pointer, size) and comes back through `MlSpEmit` callbacks.
#pragma once

#include <cstddef>

constexpr int kMlSpApiVersion = 1;
constexpr const char *kMlSpApiSymbol = "modallens_sentencepiece_api";

extern "C" {

// Receives a piece of text (a piece, the decoded text, a serialized model, an error message).
typedef void (*MlSpEmit)(void *context, const char *data, std::size_t size);

struct MlSpApi {
    int version; // kMlSpApiVersion
    // A processor from a serialized ModelProto, or null after emitting the error.
    void *(*load)(const char *model, std::size_t size, MlSpEmit error, void *context);
    void (*release)(void *processor);
    // Each piece of sp.encode(text, out_type=str) in order; 0 on success, else an error emitted.
    int (*encode)(
        const void *processor, const char *text, std::size_t size, MlSpEmit piece, MlSpEmit error, void *context);
    // sp.decode(pieces) as one emitted text; 0 on success, else an error emitted.
    int (*decode)(const void *processor, const char *const *pieces, const std::size_t *sizes, std::size_t count,
        MlSpEmit text, MlSpEmit error, void *context);
    int (*pieceSize)(const void *processor);
    int (*pieceToId)(const void *processor, const char *piece, std::size_t size); // unk_id() when unknown
    void (*idToPiece)(const void *processor, int id, MlSpEmit piece, void *context);
    int (*isByte)(const void *processor, int id);
    int (*unkId)(const void *processor);
    // SentencePieceTrainer::Train(args, sentences) -> the serialized model, emitted once; 0 on
    // success, else an error emitted. args: `argCount` key / value pairs.
    int (*train)(const char *const *sentences, const std::size_t *sizes, std::size_t count, const char *const *keys,
        const char *const *values, std::size_t argCount, MlSpEmit model, MlSpEmit error, void *context);
};

// The one exported symbol (kMlSpApiSymbol).
const MlSpApi *modallens_sentencepiece_api(void);
}
