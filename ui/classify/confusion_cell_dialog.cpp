// ConfusionCellDialog: thumbnails come from the gallery's on-disk cache through a
// ThumbnailLoader of its own, so opening a cell never decodes on the GUI thread.
#include "classify/confusion_cell_dialog.h"

#include "common/format.h"
#include "gallery/thumbnail_loader.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

namespace {

constexpr QSize kThumb {112, 84};
constexpr int kPathRole = Qt::UserRole + 1;

QIcon placeholderIcon(const QPalette &palette)
{
    QPixmap pixmap(kThumb);
    pixmap.fill(palette.color(QPalette::AlternateBase));
    return QIcon(pixmap);
}

} // namespace

ConfusionCellDialog::ConfusionCellDialog(
    const QString &truth, const QString &predicted, const std::vector<ml::ImageScores> &images, QWidget *parent)
    : QDialog(parent)
    , m_title(new QLabel(this))
    , m_list(new QListWidget(this))
    , m_loader(new ThumbnailLoader(ThumbnailLoader::defaultCacheDir(), kThumb, this))
{
    setObjectName(QStringLiteral("confusionCellDialog"));
    setAttribute(Qt::WA_DeleteOnClose);
    const bool correct = truth == predicted;
    setWindowTitle(correct ? tr("Correct: %1").arg(truth) : tr("%1 taken for %2").arg(truth, predicted));
    const int n = static_cast<int>(images.size());
    if (correct)
        m_title->setText(n == 1 ? tr("1 image of “%1” classified correctly.").arg(truth)
                                : tr("%n images of “%1” classified correctly.", nullptr, n).arg(truth));
    else
        m_title->setText(n == 1 ? tr("1 image of “%1” classified as “%2”.").arg(truth, predicted)
                                : tr("%n images of “%1” classified as “%2”.", nullptr, n).arg(truth, predicted));
    m_title->setWordWrap(true);

    m_list->setViewMode(QListView::IconMode);
    m_list->setIconSize(kThumb);
    m_list->setGridSize(QSize(kThumb.width() + 28, kThumb.height() + 44));
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setUniformItemSizes(true);
    m_list->setWordWrap(true);
    m_list->setSpacing(4);

    const QIcon placeholder = placeholderIcon(palette());
    for (int i = 0; i < n; ++i) {
        const ml::ImageScores &image = images[static_cast<std::size_t>(i)];
        const QString path = QString::fromStdString(image.file);
        QString caption = QFileInfo(path).fileName();
        if (!image.scores.empty())
            caption += QLatin1Char('\n') + formatProbability(image.scores.front().prob);
        auto *item = new QListWidgetItem(placeholder, caption, m_list);
        item->setData(kPathRole, path);
        QStringList tip {QDir::toNativeSeparators(path)};
        for (std::size_t r = 0; r < std::min<std::size_t>(3, image.scores.size()); ++r)
            tip << QStringLiteral("%1  %2").arg(
                QString::fromStdString(image.scores[r].label), formatProbability(image.scores[r].prob));
        item->setToolTip(tip.join(QLatin1Char('\n')));
        m_loader->request(i, path, ml::io::MediaKind::Image);
    }
    connect(m_loader, &ThumbnailLoader::ready, this, [this](const QList<ThumbnailResult> &results) {
        for (const ThumbnailResult &r : results)
            if (QListWidgetItem *item = m_list->item(r.key); item && !r.image.isNull())
                item->setIcon(QIcon(QPixmap::fromImage(r.image)));
    });
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *item) {
        if (item)
            Q_EMIT fileActivated(item->data(kPathRole).toString());
    });

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_list, 1);
    layout->addWidget(buttons);
    resize(560, 420);
}
