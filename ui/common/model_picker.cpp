// ModelPicker: discovery reads every config.json and safetensors header it finds, which can
// take a while on a large Hugging Face cache, so it runs on the engine's I/O lane.
#include "common/model_picker.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/format.h"

#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QSettings>
#include <QStandardItemModel>
#include <QStyle>
#include <QToolButton>

namespace {

const QString kFoldersKey = QStringLiteral("models/userFolders");
constexpr int kEntryRole = Qt::UserRole + 1; // index into m_entries, -1 for the placeholder

} // namespace

ModelPicker::ModelPicker(EngineBridge *bridge, const QString &family, const QString &settingsKey, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_family(family)
    , m_settingsKey(settingsKey)
    , m_combo(new QComboBox(this))
    , m_items(new QStandardItemModel(this))
    , m_add(new QToolButton(this))
    , m_refresh(new QToolButton(this))
{
    m_combo->setModel(m_items);
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_combo->setMinimumContentsLength(16);
    m_add->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    m_add->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_refresh->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_add->setAutoRaise(true);
    m_refresh->setAutoRaise(true);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_combo, 1);
    layout->addWidget(m_add);
    layout->addWidget(m_refresh);

    connect(m_add, &QToolButton::clicked, this, &ModelPicker::addFolderDialog);
    connect(m_refresh, &QToolButton::clicked, this, [this] { refresh(); });
    connect(m_combo, &QComboBox::currentIndexChanged, this, [this] {
        const QString path = currentPath();
        if (!path.isEmpty())
            QSettings().setValue(m_settingsKey, path);
        m_combo->setToolTip(m_combo->currentData(Qt::ToolTipRole).toString());
        Q_EMIT currentChanged(path);
    });
    connect(m_bridge, &EngineBridge::finished, this,
        [this](quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value) {
            if (id != m_job)
                return;
            m_job = 0;
            m_refresh->setEnabled(true);
            if (auto entries = engineValue<std::vector<ml::ModelEntry>>(value); ok && entries) {
                populate(std::move(*entries));
            } else {
                populate({});
                if (!cancelled)
                    Q_EMIT failed(tr("Could not list the models: %1").arg(error));
            }
        });

    retranslate();
}

void ModelPicker::showEvent(QShowEvent *event)
{
    ensureSearched();
    QWidget::showEvent(event);
}

void ModelPicker::ensureSearched()
{
    if (!m_searched)
        refresh();
}

QStringList ModelPicker::userFolders()
{
    return QSettings().value(kFoldersKey).toStringList();
}

void ModelPicker::addFolder(const QString &path)
{
    const QString clean = QDir::cleanPath(QDir(path).absolutePath());
    QStringList folders = userFolders();
    if (!folders.contains(clean)) {
        folders << clean;
        QSettings().setValue(kFoldersKey, folders);
    }
    refresh();
}

void ModelPicker::addFolderDialog()
{
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Add a Model Folder"), userFolders().value(0, QString::fromStdString(ml::appModelDir())));
    if (!dir.isEmpty())
        addFolder(dir);
}

void ModelPicker::refresh()
{
    if (m_job != 0)
        m_bridge->cancel(m_job);
    m_searched = true;
    std::vector<std::string> dirs;
    for (const QString &folder : userFolders())
        dirs.push_back(folder.toStdString());
    ml::Job job;
    job.name = tr("Finding models").toStdString();
    job.lane = ml::Lane::Io;
    job.run = [dirs](ml::JobContext &) -> std::any { return ml::discoverModels(dirs); };
    m_refresh->setEnabled(false);
    if (m_items->rowCount() == 0) {
        auto *item = new QStandardItem(tr("Looking for models…"));
        item->setData(-1, kEntryRole);
        item->setFlags(item->flags() & ~Qt::ItemIsSelectable);
        m_items->appendRow(item);
    }
    m_job = m_bridge->submit(std::move(job));
}

void ModelPicker::populate(std::vector<ml::ModelEntry> entries)
{
    // The chosen families first, then the rest (greyed), each by name.
    const auto chosen = [this](const ml::ModelEntry &e) {
        for (const QString &f : families(m_family))
            if (e.kind == ml::familyFromName(f.toStdString()))
                return true;
        return false;
    };
    std::stable_sort(entries.begin(), entries.end(), [&chosen](const ml::ModelEntry &a, const ml::ModelEntry &b) {
        const bool fa = chosen(a), fb = chosen(b);
        return fa != fb ? fa : a.name < b.name;
    });
    const QString wanted = QSettings().value(m_settingsKey).toString();
    const QSignalBlocker block(m_combo);
    const QString before = currentPath();
    m_items->clear();
    m_entries = std::move(entries);

    int usable = 0;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        const ml::ModelEntry &e = m_entries[i];
        const QString family = e.family.empty() ? tr("unknown") : QString::fromStdString(e.family);
        QStringList details {family};
        if (e.parameters > 0)
            details << tr("%1 params").arg(formatParameterCount(e.parameters));
        details << sourceName(e.source);
        auto *item = new QStandardItem(
            QStringLiteral("%1  ·  %2").arg(QString::fromStdString(e.name), details.join(QStringLiteral(" · "))));
        item->setData(static_cast<int>(i), kEntryRole);
        item->setToolTip(QString::fromStdString(e.path));
        const bool ok = isUsable(e, m_family);
        if (!e.error.empty()) {
            item->setText(item->text() + QStringLiteral(" · ") + tr("cannot be read"));
            item->setFlags(item->flags() & ~(Qt::ItemIsEnabled | Qt::ItemIsSelectable));
            item->setToolTip(
                QStringLiteral("%1\n%2").arg(QString::fromStdString(e.path), QString::fromStdString(e.error)));
        } else if (!ok) {
            item->setFlags(item->flags() & ~(Qt::ItemIsEnabled | Qt::ItemIsSelectable));
            item->setToolTip(tr("%1\nNot a %2 model: used by other panels")
                                 .arg(QString::fromStdString(e.path), families(m_family).join(QStringLiteral(" / "))));
        } else {
            ++usable;
        }
        m_items->appendRow(item);
    }
    if (usable == 0) {
        auto *item = new QStandardItem(
            tr("No %1 model found: add a folder").arg(families(m_family).join(QStringLiteral(" / "))));
        item->setData(-1, kEntryRole);
        item->setFlags(item->flags() & ~Qt::ItemIsSelectable);
        item->setToolTip(tr("Put checkpoints in %1, add a folder that holds them, or download one into the "
                            "Hugging Face cache")
                             .arg(QDir::toNativeSeparators(QString::fromStdString(ml::appModelDir()))));
        m_items->insertRow(0, item);
    }
    // Rows are entries (the placeholder is there only when none is usable). Only the user's own
    // choices are remembered (the currentIndexChanged handler, blocked here), so a fallback shown
    // now never outlives the embedded default appearing later.
    m_combo->setCurrentIndex(std::max(0, chooseEntry(m_entries, m_family, wanted, before)));
    m_combo->setToolTip(m_combo->currentData(Qt::ToolTipRole).toString());
    Q_EMIT refreshed(usable);
    Q_EMIT currentChanged(currentPath());
}

QStringList ModelPicker::families(const QString &family)
{
    QStringList out;
    for (const QString &f : family.split(QLatin1Char(','), Qt::SkipEmptyParts))
        out << f.trimmed();
    return out;
}

QString ModelPicker::embeddedDefault(const QString &family)
{
    const QString first = families(family).value(0);
    if (first == QLatin1String("clip"))
        return QStringLiteral("clip-mini");
    if (first == QLatin1String("blip-2"))
        return QStringLiteral("blip2-mini");
    if (first == QLatin1String("llava"))
        return QStringLiteral("llava-mini");
    return {};
}

bool ModelPicker::isUsable(const ml::ModelEntry &entry, const QString &family)
{
    if (!entry.error.empty())
        return false;
    for (const QString &f : families(family)) {
        const ml::ModelFamily wanted = ml::familyFromName(f.toStdString());
        if (wanted != ml::ModelFamily::Unknown && entry.kind == wanted)
            return true;
    }
    return false;
}

int ModelPicker::chooseEntry(
    const std::vector<ml::ModelEntry> &entries, const QString &family, const QString &remembered, const QString &shown)
{
    const QStringList wanted = families(family);
    int defaultEntry = -1, defaultRank = static_cast<int>(wanted.size()), shownEntry = -1, firstUsable = -1;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const ml::ModelEntry &e = entries[i];
        if (!isUsable(e, family))
            continue;
        const int index = static_cast<int>(i);
        const QString path = QString::fromStdString(e.path);
        if (!remembered.isEmpty() && path == remembered)
            return index;
        if (e.source == "embedded")
            for (int rank = 0; rank < defaultRank; ++rank)
                if (QString::fromStdString(e.name) == embeddedDefault(wanted[rank])) {
                    defaultEntry = index;
                    defaultRank = rank;
                    break;
                }
        if (shownEntry < 0 && !shown.isEmpty() && path == shown)
            shownEntry = index;
        if (firstUsable < 0)
            firstUsable = index;
    }
    return defaultEntry >= 0 ? defaultEntry : shownEntry >= 0 ? shownEntry : firstUsable;
}

std::optional<ml::ModelEntry> ModelPicker::currentEntry() const
{
    const int i = m_combo->currentData(kEntryRole).toInt();
    if (m_combo->currentIndex() < 0 || i < 0 || i >= static_cast<int>(m_entries.size()))
        return std::nullopt;
    const ml::ModelEntry &e = m_entries[static_cast<std::size_t>(i)];
    if (!isUsable(e, m_family))
        return std::nullopt;
    return e;
}

QString ModelPicker::currentPath() const
{
    const auto e = currentEntry();
    return e ? QString::fromStdString(e->path) : QString();
}

bool ModelPicker::selectPath(const QString &path)
{
    for (int row = 0; row < m_items->rowCount(); ++row) {
        const int i = m_items->item(row)->data(kEntryRole).toInt();
        if (i < 0 || QString::fromStdString(m_entries[static_cast<std::size_t>(i)].path) != path)
            continue;
        if (!(m_items->item(row)->flags() & Qt::ItemIsEnabled))
            return false;
        m_combo->setCurrentIndex(row);
        return true;
    }
    return false;
}

QString ModelPicker::sourceName(const std::string &source) const
{
    if (source == "embedded")
        return tr("built in");
    if (source == "app")
        return tr("app folder");
    if (source == "user")
        return tr("your folder");
    if (source == "hf-cache")
        return tr("Hugging Face cache");
    return QString::fromStdString(source);
}

void ModelPicker::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        if (m_job == 0) {
            const QString keep = currentPath();
            populate(std::vector<ml::ModelEntry>(m_entries));
            selectPath(keep);
        }
    }
    QWidget::changeEvent(event);
}

void ModelPicker::retranslate()
{
    m_add->setText(tr("Add folder…"));
    m_add->setToolTip(tr("Add a folder that holds checkpoints (Hugging Face layout)"));
    m_refresh->setToolTip(tr("Look for models again"));
}
