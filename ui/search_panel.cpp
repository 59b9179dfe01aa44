// SearchPanel: the form becomes an ml::IndexRequest or ml::SearchRequest on the engine's inference
// lane; a search's ml::SearchResult fills the hit list, and a video hit's frame similarities the strip.
#include "search_panel.h"

#include "classify_common.h"
#include "engine_bridge.h"
#include "format.h"
#include "gallery_model.h"
#include "gallery_view.h"
#include "gallery_widget.h"
#include "model_picker.h"
#include "panel_widgets.h"

#include "io/media.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace {

const QString kModelKey = QStringLiteral("search/model");
const QString kLibraryKey = QStringLiteral("search/library");
const QString kKKey = QStringLiteral("search/k");
const QString kAggregateKey = QStringLiteral("search/videoScore");
const QString kWeightKey = QStringLiteral("search/textWeight");
constexpr int kThumb = 48;

QString cleanPath(const QString &path)
{
    QString p = path.trimmed();
    if (p.startsWith(QStringLiteral("~/")))
        p = QDir::homePath() + p.mid(1);
    return p.isEmpty() ? QString() : QDir::cleanPath(QDir(p).absolutePath());
}

// Seconds as m:ss.s: a moment in a short clip.
QString moment(double s)
{
    const int minutes = static_cast<int>(s / 60.0);
    return QStringLiteral("%1:%2").arg(minutes).arg(
        QLocale().toString(s - 60.0 * minutes, 'f', 1).rightJustified(4, QLatin1Char('0')));
}

QIcon thumbnail(const QString &path, bool video, const QStyle *style)
{
    if (video) { // the play symbol, centred on a thumbnail-sized square so the names line up
        QPixmap square(kThumb, kThumb);
        square.fill(Qt::transparent);
        QPainter painter(&square);
        const int side = kThumb * 2 / 3;
        painter.drawPixmap(
            (kThumb - side) / 2, (kThumb - side) / 2, style->standardIcon(QStyle::SP_MediaPlay).pixmap(side, side));
        return QIcon(square);
    }
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QSize size = reader.size();
    if (size.isValid() && (size.width() > kThumb || size.height() > kThumb))
        reader.setScaledSize(size.scaled(kThumb, kThumb, Qt::KeepAspectRatio));
    const QImage image = reader.read();
    return image.isNull() ? style->standardIcon(QStyle::SP_FileIcon) : QIcon(QPixmap::fromImage(image));
}

} // namespace

SearchPanel::SearchPanel(EngineBridge *bridge, QWidget *parent)
    : QWidget(parent)
    , m_bridge(bridge)
    , m_message(new QLabel(this))
{
    setObjectName(QStringLiteral("search"));
    Q_ASSERT(m_bridge);

    m_message->setObjectName(QStringLiteral("searchMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    auto *page = new QWidget;
    auto *scroll = verticalScrollArea(page, this);

    // The library and its model.
    m_libraryGroup = new QGroupBox(page);
    m_picker = new ModelPicker(m_bridge, QStringLiteral("clip"), kModelKey, m_libraryGroup);
    m_picker->combo()->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_picker->combo()->setMinimumContentsLength(12);
    m_library = new QLineEdit(m_libraryGroup);
    m_library->setObjectName(QStringLiteral("searchLibrary"));
    m_library->setText(QDir::toNativeSeparators(defaultLibrary()));
    m_libraryBrowse = new QToolButton(m_libraryGroup);
    m_libraryBrowse->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    auto *libraryRow = new QHBoxLayout;
    libraryRow->addWidget(m_library, 1);
    libraryRow->addWidget(m_libraryBrowse);
    m_indexGallery = new QPushButton(m_libraryGroup);
    m_indexGallery->setObjectName(QStringLiteral("searchIndexGallery"));
    m_addFolder = new QPushButton(m_libraryGroup);
    m_reindex = new QPushButton(m_libraryGroup);
    m_reindex->setObjectName(QStringLiteral("searchReindex"));
    m_reindex->hide();
    m_cancel = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), QString(), m_libraryGroup);
    auto *indexRow = new QHBoxLayout;
    indexRow->addWidget(m_indexGallery);
    indexRow->addWidget(m_addFolder);
    indexRow->addWidget(m_reindex);
    indexRow->addWidget(m_cancel);
    indexRow->addStretch(1);
    m_indexState = dimLabel(m_libraryGroup);
    m_indexState->setObjectName(QStringLiteral("searchIndexState"));
    m_indexState->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modelLabel = new QLabel(m_libraryGroup);
    m_libraryLabel = new QLabel(m_libraryGroup);
    auto *library = new QFormLayout(m_libraryGroup);
    library->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    library->addRow(m_modelLabel, m_picker);
    library->addRow(m_libraryLabel, libraryRow);
    library->addRow(indexRow);
    library->addRow(m_indexState);

    // The query.
    m_queryGroup = new QGroupBox(page);
    m_query = new QLineEdit(m_queryGroup);
    m_query->setObjectName(QStringLiteral("searchQuery"));
    m_query->setClearButtonEnabled(true);
    m_search = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogContentsView), QString(), m_queryGroup);
    m_search->setObjectName(QStringLiteral("searchButton"));
    auto *queryRow = new QHBoxLayout;
    queryRow->addWidget(m_query, 1);
    queryRow->addWidget(m_search);
    m_k = new QSpinBox(m_queryGroup);
    m_k->setRange(1, 1000);
    m_k->setValue(10);
    m_aggregate = new QComboBox(m_queryGroup);
    for (int i = 0; i < 3; ++i)
        m_aggregate->addItem(QString());
    m_useImage = new QPushButton(m_queryGroup);
    m_useImage->setObjectName(QStringLiteral("searchUseImage"));
    m_clearImage = new QToolButton(m_queryGroup);
    m_clearImage->setIcon(style()->standardIcon(QStyle::SP_DialogCloseButton));
    m_imageName = dimLabel(m_queryGroup);
    m_imageName->setWordWrap(false);
    auto *imageRow = new QHBoxLayout;
    imageRow->addWidget(m_useImage);
    imageRow->addWidget(m_clearImage);
    imageRow->addWidget(m_imageName, 1);
    m_weight = new QSlider(Qt::Horizontal, m_queryGroup);
    m_weight->setRange(0, 100);
    m_weight->setValue(50);
    m_weightValue = new QLabel(m_queryGroup);
    m_weightValue->setMinimumWidth(m_weightValue->fontMetrics().horizontalAdvance(QStringLiteral("100 %")));
    auto *weightRow = new QHBoxLayout;
    weightRow->addWidget(m_weight, 1);
    weightRow->addWidget(m_weightValue);
    m_queryLabel = new QLabel(m_queryGroup);
    m_kLabel = new QLabel(m_queryGroup);
    m_aggregateLabel = new QLabel(m_queryGroup);
    m_imageLabel = new QLabel(m_queryGroup);
    m_weightLabel = new QLabel(m_queryGroup);
    auto *query = new QFormLayout(m_queryGroup);
    query->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    query->addRow(m_queryLabel, queryRow);
    query->addRow(m_imageLabel, imageRow);
    query->addRow(m_weightLabel, weightRow);
    query->addRow(m_kLabel, m_k);
    query->addRow(m_aggregateLabel, m_aggregate);

    // The hits and a video hit's similarity over time.
    m_resultsLabel = dimLabel(page);
    m_resultsLabel->setObjectName(QStringLiteral("searchResultsState"));
    m_results = new QListWidget(page);
    m_results->setObjectName(QStringLiteral("searchResults"));
    m_results->setIconSize(QSize(kThumb, kThumb));
    m_results->setUniformItemSizes(true);
    m_results->setMinimumHeight(220);
    m_stripLabel = dimLabel(page);
    m_strip = new QCustomPlot(page);
    m_strip->setObjectName(QStringLiteral("searchStrip"));
    m_strip->setFixedHeight(120);
    m_strip->addGraph();
    m_strip->graph(0)->setPen(QPen(palette().color(QPalette::Highlight), 2));
    QColor fill = palette().color(QPalette::Highlight);
    fill.setAlpha(50);
    m_strip->graph(0)->setBrush(fill);
    m_strip->addGraph(); // the best moment, a single point
    m_strip->graph(1)->setLineStyle(QCPGraph::lsNone);
    m_strip->graph(1)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, Qt::red, Qt::red, 7));
    for (QCPAxis *axis : {m_strip->xAxis, m_strip->yAxis}) {
        axis->setBasePen(QPen(palette().color(QPalette::WindowText)));
        axis->setTickPen(QPen(palette().color(QPalette::WindowText)));
        axis->setSubTickPen(QPen(palette().color(QPalette::WindowText)));
        axis->setTickLabelColor(palette().color(QPalette::WindowText));
        axis->setLabelColor(palette().color(QPalette::WindowText));
    }
    m_strip->yAxis->ticker()->setTickCount(3);
    m_strip->setBackground(palette().brush(QPalette::Base));
    m_strip->setVisible(false);
    m_stripLabel->setVisible(false);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 6, 4, 6);
    layout->addWidget(m_libraryGroup);
    layout->addWidget(m_queryGroup);
    layout->addWidget(m_resultsLabel);
    layout->addWidget(m_results, 1);
    layout->addWidget(m_stripLabel);
    layout->addWidget(m_strip);

    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 8, 8, 4);
    outer->setSpacing(6);
    outer->addWidget(m_message);
    outer->addWidget(scroll, 1);

    connect(m_libraryBrowse, &QToolButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Library File"), libraryPath(),
            tr("Libraries (*.db)"), nullptr, QFileDialog::DontConfirmOverwrite);
        if (!file.isEmpty())
            m_library->setText(QDir::toNativeSeparators(file));
    });
    connect(m_indexGallery, &QPushButton::clicked, this, [this] { indexGalleryFolders(); });
    connect(m_addFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a Folder to the Library"));
        if (!dir.isEmpty())
            indexFolders({dir});
    });
    connect(m_reindex, &QPushButton::clicked, this, [this] { reindex(); });
    connect(m_cancel, &QPushButton::clicked, this, &SearchPanel::cancel);
    connect(m_query, &QLineEdit::returnPressed, this, [this] { search(); });
    connect(m_search, &QPushButton::clicked, this, [this] { search(); });
    connect(m_useImage, &QPushButton::clicked, this, [this] {
        if (!useSelectedImage())
            showMessage(tr("Select a photo in the gallery first."), false);
    });
    connect(m_clearImage, &QToolButton::clicked, this, [this] { setImageQuery({}); });
    connect(m_weight, &QSlider::valueChanged, this,
        [this](int v) { m_weightValue->setText(QStringLiteral("%1 %").arg(v)); });
    connect(m_query, &QLineEdit::textChanged, this, &SearchPanel::updateState);
    connect(m_results, &QListWidget::currentRowChanged, this, &SearchPanel::onCurrentRowChanged);
    // Moving through the hits draws their strips; a click (or Enter) opens one in the preview.
    connect(
        m_results, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) { openHit(m_results->row(item)); });
    connect(
        m_results, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) { openHit(m_results->row(item)); });
    connect(m_strip, &QCustomPlot::mousePress, this,
        [this](QMouseEvent *event) { clickStrip(m_strip->xAxis->pixelToCoord(event->position().x())); });
    connect(m_bridge, &EngineBridge::progress, this, &SearchPanel::onProgress);
    connect(m_bridge, &EngineBridge::finished, this, &SearchPanel::onFinished);

    retranslate();
    restoreSettings();
    m_weightValue->setText(QStringLiteral("%1 %").arg(m_weight->value()));
    updateImageLabel();
    updateState();
}

SearchPanel::~SearchPanel()
{
    saveSettings();
}

QString SearchPanel::defaultLibrary()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/ModalLens/library.db");
}

QString SearchPanel::chosenModel()
{
    const QString model = m_picker->currentPath();
    if (model.isEmpty())
        showMessage(m_picker->isRefreshing() ? tr("The model list is still being searched: try again in a moment.")
                                             : tr("Choose a CLIP model first."),
            true);
    return model;
}

QString SearchPanel::libraryPath() const
{
    const QString path = cleanPath(QDir::fromNativeSeparators(m_library->text()));
    return path.isEmpty() ? defaultLibrary() : path;
}

void SearchPanel::retranslate()
{
    setWindowTitle(tr("Search"));
    m_libraryGroup->setTitle(tr("Library"));
    m_queryGroup->setTitle(tr("Query"));
    m_modelLabel->setText(tr("Model:"));
    m_libraryLabel->setText(tr("Library:"));
    m_libraryBrowse->setToolTip(tr("Choose the library file"));
    m_indexGallery->setText(tr("Index gallery folders"));
    m_indexGallery->setToolTip(tr("Add the gallery's folders to the library, embedding only new or changed files"));
    m_addFolder->setText(tr("Add folder…"));
    m_reindex->setText(tr("Re-index"));
    m_cancel->setText(tr("Cancel"));
    m_queryLabel->setText(tr("Text:"));
    m_query->setPlaceholderText(tr("e.g. a red circle"));
    m_search->setText(tr("Search"));
    m_imageLabel->setText(tr("Image:"));
    m_useImage->setText(tr("Use selected image"));
    m_clearImage->setToolTip(tr("No image query"));
    m_weightLabel->setText(tr("Text weight:"));
    m_weight->setToolTip(tr("With both a text and an image: how much the text counts"));
    m_kLabel->setText(tr("Results:"));
    m_aggregateLabel->setText(tr("Video score:"));
    m_aggregate->setItemText(0, tr("Mean of frames"));
    m_aggregate->setItemText(1, tr("Best frame"));
    m_aggregate->setItemText(2, tr("Best moment"));
    m_stripLabel->setText(tr("Similarity over time: click to play from there"));
    m_strip->xAxis->setLabel(tr("Time (s)"));
    updateImageLabel();
    updateState();
    if (m_result)
        showResults();
}

void SearchPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void SearchPanel::restoreSettings()
{
    QSettings s;
    if (const QString lib = s.value(kLibraryKey).toString(); !lib.isEmpty())
        m_library->setText(lib);
    m_k->setValue(s.value(kKKey, m_k->value()).toInt());
    m_aggregate->setCurrentIndex(std::clamp(s.value(kAggregateKey, 0).toInt(), 0, 2));
    m_weight->setValue(s.value(kWeightKey, m_weight->value()).toInt());
}

void SearchPanel::saveSettings() const
{
    QSettings s;
    s.setValue(kLibraryKey, m_library->text());
    s.setValue(kKKey, m_k->value());
    s.setValue(kAggregateKey, m_aggregate->currentIndex());
    s.setValue(kWeightKey, m_weight->value());
}

// --- messages and state --------------------------------------------------------------------

QString SearchPanel::message() const
{
    return m_message->isHidden() ? QString() : m_message->text();
}

void SearchPanel::showMessage(const QString &text, bool error)
{
    m_messageIsError = error;
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_message->show();
}

void SearchPanel::clearMessage()
{
    m_messageIsError = false;
    m_message->clear();
    m_message->hide();
}

void SearchPanel::updateState()
{
    const bool indexing = isIndexing();
    for (QWidget *w :
        std::initializer_list<QWidget *> {m_picker, m_library, m_libraryBrowse, m_indexGallery, m_addFolder, m_reindex})
        w->setEnabled(!indexing);
    m_cancel->setVisible(indexing || isSearching());
    m_search->setEnabled(!indexing && !isSearching());
    m_weight->setEnabled(!m_image.isEmpty() && !m_query->text().trimmed().isEmpty());
    m_clearImage->setVisible(!m_image.isEmpty());
    if (indexing) {
        m_indexState->setText(m_total > 0
                ? tr("Indexing: %1 (%2 of %3)…").arg(m_stage, QLocale().toString(m_done), QLocale().toString(m_total))
                : tr("Indexing…"));
    }
}

void SearchPanel::updateImageLabel()
{
    m_imageName->setText(m_image.isEmpty() ? tr("none") : QFileInfo(m_image).fileName());
    m_imageName->setToolTip(m_image);
}

// --- indexing ------------------------------------------------------------------------------

quint64 SearchPanel::indexGalleryFolders()
{
    QStringList dirs;
    if (m_gallery) {
        GalleryModel *model = m_gallery->model();
        for (int row = 0; row < model->rowCount(); ++row)
            dirs << QFileInfo(model->index(row).data(GalleryModel::PathRole).toString()).absolutePath();
    }
    dirs.removeDuplicates();
    std::sort(dirs.begin(), dirs.end());
    // Folders are indexed recursively: a folder inside another listed one adds nothing.
    QStringList roots;
    for (const QString &dir : std::as_const(dirs))
        if (roots.isEmpty() || !(dir == roots.last() || dir.startsWith(roots.last() + QLatin1Char('/'))))
            roots << dir;
    if (roots.isEmpty()) {
        showMessage(tr("The gallery is empty: open a folder first, or add one here."), true);
        return 0;
    }
    return indexFolders(roots);
}

quint64 SearchPanel::reindex()
{
    if (m_lastFolders.isEmpty())
        return indexGalleryFolders();
    return indexFolders(m_lastFolders);
}

quint64 SearchPanel::indexFolders(const QStringList &folders)
{
    if (isIndexing())
        return 0;
    ml::IndexRequest request;
    request.library = libraryPath().toStdString();
    QStringList clean;
    for (const QString &folder : folders) {
        const QString path = cleanPath(QDir::fromNativeSeparators(folder));
        if (path.isEmpty() || !QFileInfo::exists(path)) {
            showMessage(tr("Not found: %1").arg(QDir::toNativeSeparators(folder)), true);
            return 0;
        }
        clean << path;
        request.folders.push_back(path.toStdString());
    }
    if (clean.isEmpty()) {
        showMessage(tr("No folder to index."), true);
        return 0;
    }
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    request.model = model.toStdString();
    if (!QDir().mkpath(QFileInfo(libraryPath()).absolutePath())) {
        showMessage(tr("Cannot create the library's folder: %1").arg(QFileInfo(libraryPath()).absolutePath()), true);
        return 0;
    }
    clearMessage();
    m_lastFolders = clean;
    m_reindex->hide();
    m_stage.clear();
    m_done = m_total = 0;
    m_indexJob = m_bridge->submit(ml::makeIndexJob(std::move(request)));
    updateState();
    return m_indexJob;
}

// --- searching -----------------------------------------------------------------------------

bool SearchPanel::useSelectedImage()
{
    if (!m_gallery)
        return false;
    const QModelIndex current = m_gallery->view()->currentIndex();
    if (!current.isValid()
        || current.data(GalleryModel::KindRole).toInt() != static_cast<int>(ml::io::MediaKind::Image))
        return false;
    setImageQuery(current.data(GalleryModel::PathRole).toString());
    return true;
}

void SearchPanel::setImageQuery(const QString &path)
{
    m_image = path;
    updateImageLabel();
    updateState();
}

quint64 SearchPanel::search()
{
    if (isSearching() || isIndexing())
        return 0;
    const QString text = m_query->text().trimmed();
    if (text.isEmpty() && m_image.isEmpty()) {
        showMessage(tr("Type what to find, or use an image."), true);
        return 0;
    }
    const QString model = chosenModel();
    if (model.isEmpty())
        return 0;
    if (!QFileInfo::exists(libraryPath())) {
        showMessage(tr("The library is empty: index the gallery's folders first."), true);
        return 0;
    }
    ml::SearchRequest request;
    request.library = libraryPath().toStdString();
    request.model = model.toStdString();
    request.text = text.toStdString();
    request.image = m_image.toStdString();
    request.textWeight = m_weight->value() / 100.0;
    request.k = m_k->value();
    const ml::VideoAggregate aggregates[]
        = {ml::VideoAggregate::Mean, ml::VideoAggregate::Max, ml::VideoAggregate::Best};
    request.videoAggregate = aggregates[std::clamp(m_aggregate->currentIndex(), 0, 2)];
    clearMessage();
    m_resultsLabel->setText(tr("Searching…"));
    m_searchJob = m_bridge->submit(ml::makeSearchJob(std::move(request)));
    updateState();
    return m_searchJob;
}

void SearchPanel::cancel()
{
    if (m_indexJob)
        m_bridge->cancel(m_indexJob);
    if (m_searchJob)
        m_bridge->cancel(m_searchJob);
}

// --- the jobs ------------------------------------------------------------------------------

void SearchPanel::onProgress(quint64 id, qint64 done, qint64 total, const QString &stage, double)
{
    if (id != m_indexJob)
        return;
    m_stage = stage;
    m_done = done;
    m_total = total;
    updateState();
}

void SearchPanel::onFinished(quint64 id, bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    if (id == 0 || (id != m_indexJob && id != m_searchJob))
        return;
    const QLocale locale;
    if (id == m_indexJob) {
        m_indexJob = 0;
        if (const auto r = engineValue<ml::IndexResult>(value); ok && r) {
            m_indexResult = *r;
            QString text = tr("Indexed in %1 s: %2 embedded, %3 unchanged, %4 moved, %5 removed, %6 failed.")
                               .arg(locale.toString(r->seconds, 'f', 1), locale.toString(r->embedded()),
                                   locale.toString(r->unchanged + r->touched), locale.toString(r->moved),
                                   locale.toString(r->removed), locale.toString(qint64(r->failed.size())));
            if (r->frames > 0)
                text += QLatin1Char(' ') + tr("%n video frame(s).", nullptr, static_cast<int>(r->frames));
            m_indexState->setText(text);
            QStringList failures;
            for (const ml::IndexFailure &f : r->failed)
                failures << QStringLiteral("%1: %2").arg(
                    QDir::toNativeSeparators(QString::fromStdString(f.file)), QString::fromStdString(f.error));
            if (r->modelChanged)
                showMessage(
                    tr("The model changed since this library was indexed: its old vectors were replaced."), false);
            else if (!failures.isEmpty())
                showMessage(tr("Could not read %n file(s):", nullptr, static_cast<int>(failures.size()))
                        + QLatin1Char('\n') + failures.mid(0, 5).join(QLatin1Char('\n')),
                    false);
            else
                clearMessage();
        } else if (cancelled) {
            m_indexState->setText(tr("Indexing cancelled: what was embedded is kept."));
        } else {
            m_indexState->setText(tr("Indexing failed."));
            showMessage(tr("Indexing failed: %1").arg(error), true);
            m_reindex->show();
        }
    } else {
        m_searchJob = 0;
        if (const auto r = engineValue<ml::SearchResult>(value); ok && r) {
            m_result = *r;
            clearMessage();
            showResults();
        } else if (cancelled) {
            m_resultsLabel->setText(tr("Search cancelled."));
        } else {
            m_resultsLabel->setText(QString());
            // A library made with another model, or one whose model changed, needs indexing again.
            const bool stale = error.contains(QStringLiteral("re-index"), Qt::CaseInsensitive);
            showMessage(stale ? error + QLatin1Char('\n') + tr("Re-index the library with this model to search it.")
                              : tr("Search failed: %1").arg(error),
                true);
            m_reindex->setVisible(stale);
        }
    }
    updateState();
}

void SearchPanel::showResults()
{
    const QSignalBlocker blocker(m_results);
    m_results->clear();
    m_strip->setVisible(false);
    m_stripLabel->setVisible(false);
    if (!m_result)
        return;
    const QLocale locale;
    const int vectors = static_cast<int>(m_result->vectors);
    const QString best = locale.toString(qint64(m_result->results.size()));
    if (m_result->results.empty())
        m_resultsLabel->setText(tr("No match in %n vector(s).", nullptr, vectors));
    else if (m_result->approximate)
        m_resultsLabel->setText(tr("%1 best of %n vector(s), approximate", nullptr, vectors).arg(best));
    else
        m_resultsLabel->setText(tr("%1 best of %n vector(s)", nullptr, vectors).arg(best));
    for (int i = 0; i < static_cast<int>(m_result->results.size()); ++i) {
        const ml::SearchResultItem &hit = m_result->results[static_cast<std::size_t>(i)];
        const QString path = QString::fromStdString(hit.file);
        const bool video = hit.kind == "video";
        QString text = QStringLiteral("%1\n%2").arg(
            QFileInfo(path).fileName(), tr("score %1").arg(locale.toString(static_cast<double>(hit.score), 'f', 3)));
        if (video && hit.bestS >= 0.0)
            text += QStringLiteral(" · ") + tr("best moment %1").arg(moment(hit.bestS));
        auto *item = new QListWidgetItem(thumbnail(path, video, style()), text, m_results);
        item->setData(PathRole, path);
        item->setData(ResultRole, i);
        item->setToolTip(QDir::toNativeSeparators(path));
    }
}

void SearchPanel::showStrip(int row)
{
    const ml::SearchResultItem *hit = nullptr;
    if (m_result && row >= 0 && row < static_cast<int>(m_result->results.size()))
        hit = &m_result->results[static_cast<std::size_t>(row)];
    const bool show = hit && hit->kind == "video" && !hit->times.empty() && hit->times.size() == hit->series.size();
    m_strip->setVisible(show);
    m_stripLabel->setVisible(show);
    m_strip->graph(0)->data()->clear();
    m_strip->graph(1)->data()->clear();
    if (!show)
        return;
    QVector<double> x, y;
    for (std::size_t i = 0; i < hit->times.size(); ++i) {
        x << hit->times[i];
        y << static_cast<double>(hit->series[i]);
    }
    m_strip->graph(0)->setData(x, y, true);
    if (hit->bestS >= 0.0) {
        const auto best = std::min_element(hit->times.begin(), hit->times.end(),
            [&](double a, double b) { return std::abs(a - hit->bestS) < std::abs(b - hit->bestS); });
        m_strip->graph(1)->addData(
            hit->bestS, static_cast<double>(hit->series[std::size_t(best - hit->times.begin())]));
    }
    m_strip->rescaleAxes();
    const QCPRange yr = m_strip->yAxis->range();
    const double pad = std::max(0.01, 0.1 * yr.size());
    m_strip->yAxis->setRange(yr.lower - pad, yr.upper + pad);
    m_strip->replot();
}

int SearchPanel::stripPointCount() const
{
    return !m_strip->isHidden() ? m_strip->graph(0)->dataCount() : 0;
}

void SearchPanel::onCurrentRowChanged(int row)
{
    showStrip(row);
}

void SearchPanel::openHit(int row)
{
    if (!m_result || row < 0 || row >= static_cast<int>(m_result->results.size()))
        return;
    const ml::SearchResultItem &hit = m_result->results[static_cast<std::size_t>(row)];
    Q_EMIT openRequested(QString::fromStdString(hit.file), hit.kind == "video" ? std::max(0.0, hit.bestS) : -1.0);
}

void SearchPanel::clickStrip(double timeS)
{
    const int row = m_results->currentRow();
    if (!m_result || row < 0 || row >= static_cast<int>(m_result->results.size()))
        return;
    const ml::SearchResultItem &hit = m_result->results[static_cast<std::size_t>(row)];
    if (hit.kind != "video")
        return;
    const double end = hit.times.empty() ? timeS : hit.times.back();
    Q_EMIT openRequested(QString::fromStdString(hit.file), std::clamp(timeS, 0.0, std::max(0.0, end)));
}
