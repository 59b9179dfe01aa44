// ThreadPool: a deque of tasks served by a few threads; exceptions never escape a task.
#include "engine/thread_pool.h"

#include <algorithm>

namespace ml {

ThreadPool::ThreadPool(int threads)
{
    if (threads <= 0)
        threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 4);
    for (int i = 0; i < threads; ++i)
        m_workers.emplace_back([this] { loop(); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_tasks.clear();
    }
    m_wake.notify_all();
    for (auto &t : m_workers)
        t.join();
}

void ThreadPool::post(std::function<void()> task, bool urgent)
{
    {
        std::lock_guard lock(m_mutex);
        if (urgent)
            m_tasks.push_front(std::move(task));
        else
            m_tasks.push_back(std::move(task));
    }
    m_wake.notify_one();
}

std::size_t ThreadPool::clear()
{
    std::lock_guard lock(m_mutex);
    const std::size_t n = m_tasks.size();
    m_tasks.clear();
    m_idle.notify_all();
    return n;
}

void ThreadPool::waitIdle()
{
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [&] { return m_tasks.empty() && m_running == 0; });
}

void ThreadPool::loop()
{
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || !m_tasks.empty(); });
            if (m_stop)
                return;
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
            ++m_running;
        }
        try {
            task();
        } catch (...) {
            // Tasks report their own errors; one that throws must not take the pool down.
        }
        {
            std::lock_guard lock(m_mutex);
            --m_running;
        }
        m_idle.notify_all();
    }
}

} // namespace ml
