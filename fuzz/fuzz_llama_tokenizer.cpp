// Fuzzes the LLaMA tokenizer's own reading of tokenizer.model (text/sentencepiece_model.cpp's
// protobuf walk and the legacy=false rewrite of normalizer_spec). SentencePiece itself is not
// fuzzed here: its module is dlopened with RTLD_DEEPBIND, which AddressSanitizer refuses.
#include "common/error.h"
#include "text/sentencepiece_model.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    for (const bool disablePrefix : {false, true}) {
        try {
            const std::string out = ml::text::checkModelProto(bytes, "tokenizer.model", disablePrefix);
            // What comes out is a model proto too: checking it again must succeed.
            if (ml::text::checkModelProto(out, "rewritten.model", disablePrefix).size() != out.size())
                std::abort();
        } catch (const ml::Error &) { }
    }
    return 0;
}
