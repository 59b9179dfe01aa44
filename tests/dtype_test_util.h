// What the tests of the bf16 path share: they run where `--dtype auto` means bf16 (a CPU with
// native bf16, or MODALLENS_CPU_KIND=avx512-bf16|amx) and skip with a message elsewhere.
#pragma once

#include "engine/compute.h"

#include <QtTest>

// Embeddings in bf16 against float32: the cosine of each pair (issue 13's bound).
constexpr double kBf16MinCosine = 0.999;
// A softmax probability over a handful of labels, bf16 against float32.
constexpr double kBf16ProbTolerance = 0.02;

#define MODALLENS_REQUIRE_NATIVE_BF16()                                                                                \
    do {                                                                                                               \
        if (!ml::cpuHasNativeBf16())                                                                                   \
            QSKIP("this CPU has no native bf16, so --dtype auto is fp32 here (MODALLENS_CPU_KIND=avx512-bf16 "         \
                  "runs this test anyway)");                                                                           \
    } while (false)
