// What the BLIP-2 and LLaVA trainer tests share: a training job run to its result, a tiny run's
// request, the held-out colour-shape pairs spotted in a text, and a fixed batch the model learns.
#pragma once

#include "engine/engine.h"
#include "engine/vlm_train_types.h"
#include "train_recorder.h"

#include <QtTest>

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <any>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>

namespace vlm_train_test {

template<typename Result> Result runTrainJob(ml::Job job, TrainRecorder &recorder)
{
    ml::JobContext ctx(1, &recorder, recorder.cancel);
    return std::any_cast<Result>(job.run(ctx));
}

// The "tiny" preset in float32, written to out.
template<typename Request> Request tinyRequest(const std::filesystem::path &out)
{
    Request request;
    request.preset = "tiny";
    request.outDir = out.string();
    request.dtype = "fp32";
    return request;
}

inline bool mentionsHeldOutPair(const std::string &text)
{
    for (const char *pair : {"green triangle", "purple circle", "yellow diamond", "white square"})
        if (text.find(pair) != std::string::npos)
            return true;
    return false;
}

// Forty optimiser steps on one batch: the loss starts above 1 and falls below 0.3 of that.
inline void verifyLossFalls(const std::function<torch::Tensor()> &loss, torch::optim::Optimizer &optimizer)
{
    const double first = loss().item<double>();
    QVERIFY(std::isfinite(first) && first > 1.0);
    double last = first;
    for (int i = 0; i < 40; ++i) {
        const auto l = loss();
        optimizer.zero_grad();
        l.backward();
        optimizer.step();
        last = l.item<double>();
    }
    QVERIFY2(last < 0.3 * first, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
}

} // namespace vlm_train_test
