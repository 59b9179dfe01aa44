// An engine listener for the trainer tests: records the training jobs' partial results (metrics,
// held-out samples, DDPM sample grids, checkpoints) and holds the cancel flag the jobs watch.
#pragma once

#include "engine/clip_train_service.h"
#include "engine/ddpm_train_service.h"

#include <any>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct TrainRecorder : ml::EngineListener {
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    std::mutex mutex;
    std::vector<ml::TrainMetric> metrics;
    std::vector<ml::TrainSamples> samples;
    std::vector<ml::DdpmSampleGrid> grids;
    std::vector<std::string> checkpoints;
    std::function<void(const ml::TrainMetric &)> onMetric;
    void onProgress(ml::JobId, const ml::Progress &) override { }
    void onPartial(ml::JobId, const ml::PartialResult &r) override
    {
        std::lock_guard lock(mutex);
        if (r.kind == "metric") {
            metrics.push_back(std::any_cast<ml::TrainMetric>(r.value));
            if (onMetric)
                onMetric(metrics.back());
        } else if (r.kind == "samples") {
            samples.push_back(std::any_cast<ml::TrainSamples>(r.value));
        } else if (r.kind == "sample-grid") {
            grids.push_back(std::any_cast<ml::DdpmSampleGrid>(r.value));
        } else if (r.kind == "checkpoint") {
            checkpoints.push_back(std::any_cast<std::string>(r.value));
        }
    }
    void onFinished(ml::JobId, const ml::JobResult &) override { }
    std::size_t metricCount()
    {
        std::lock_guard lock(mutex);
        return metrics.size();
    }
};
