// A small pool for I/O work (decoding, thumbnails). Tasks carry a priority so the visible
// thumbnails go first; clear() drops what has not started.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ml {

class ThreadPool {
public:
    explicit ThreadPool(int threads = 0); // 0 = min(4, cores)
    ~ThreadPool();                        // drops queued tasks, joins running ones
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    void post(std::function<void()> task, bool urgent = false); // urgent goes to the front
    std::size_t clear();                                        // returns how many were dropped
    void waitIdle();
    int size() const { return static_cast<int>(m_workers.size()); }

private:
    void loop();

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<std::function<void()>> m_tasks;
    std::vector<std::thread> m_workers;
    int m_running = 0;
    bool m_stop = false;
};

} // namespace ml
