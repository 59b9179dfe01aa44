// Force-included into fuzz_safetensors, which compiles as C++17: clang 14 rejects LibTorch 1.13's
// headers in C++20 mode with libstdc++ 12 (its constexpr std::vector<c10::IValue> needs IValue
// complete; pytorch#93978). The one C++20 name io/safetensors.cpp uses, from the compiler's macros.
#pragma once

#include <bit>

#if __cplusplus <= 201703L
namespace std {
enum class endian { little = __ORDER_LITTLE_ENDIAN__, big = __ORDER_BIG_ENDIAN__, native = __BYTE_ORDER__ };
} // namespace std
#endif
