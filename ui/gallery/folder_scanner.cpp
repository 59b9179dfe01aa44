// FolderScanner: std::filesystem's iterator with its cached stat; hidden folders skipped, unreadable
// ones passed over, given paths that do not exist reported; a batch every 500 files or 100 ms.
#include "gallery/folder_scanner.h"

#include "engine/engine.h"

#include <QDir>

#include <chrono>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

constexpr int kBatchFiles = 500;
constexpr auto kBatchInterval = std::chrono::milliseconds(100);

qint64 toEpochMs(fs::file_time_type t)
{
    const auto sys = std::chrono::file_clock::to_sys(t);
    return std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
}

} // namespace

QVariant FolderScanner::run(const QStringList &paths, ml::JobContext &ctx)
{
    QList<GalleryModel::Entry> batch;
    qint64 found = 0;
    auto lastFlush = std::chrono::steady_clock::now();

    auto flush = [&] {
        if (!batch.isEmpty()) {
            ctx.partial(kPartialKind.toStdString(), QVariant::fromValue(std::exchange(batch, {})));
            ctx.report(found, 0, "scanning");
        }
        lastFlush = std::chrono::steady_clock::now();
    };
    auto add = [&](const fs::directory_entry &entry) {
        const ml::io::MediaKind kind = ml::io::guessMediaKind(entry.path());
        if (kind == ml::io::MediaKind::Unknown)
            return;
        std::error_code ec;
        GalleryModel::Entry e;
        e.path = QString::fromStdString(entry.path().string());
        e.kind = kind;
        e.size = static_cast<qint64>(entry.file_size(ec));
        const auto mtime = entry.last_write_time(ec);
        e.modifiedMs = ec ? 0 : toEpochMs(mtime);
        batch.append(std::move(e));
        ++found;
        if (batch.size() >= kBatchFiles || std::chrono::steady_clock::now() - lastFlush > kBatchInterval)
            flush();
    };

    for (const QString &p : paths) {
        ctx.throwIfCancelled();
        std::error_code ec;
        const fs::path root = fs::absolute(QDir::cleanPath(p).toStdString(), ec).lexically_normal();
        const fs::directory_entry rootEntry(root, ec);
        if (ec || !rootEntry.exists(ec)) {
            ctx.partial(kMissingKind.toStdString(), QVariant(p));
            continue;
        }
        if (rootEntry.is_regular_file(ec)) {
            add(rootEntry);
            continue;
        }
        if (!rootEntry.is_directory(ec))
            continue;
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
        for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
            ctx.throwIfCancelled();
            const fs::directory_entry &entry = *it;
            const bool hidden = entry.path().filename().string().starts_with('.');
            if (entry.is_directory(ec)) {
                if (hidden)
                    it.disable_recursion_pending();
            } else if (!hidden && entry.is_regular_file(ec)) {
                add(entry);
            }
            ec.clear();
        }
    }
    flush();
    return found;
}
