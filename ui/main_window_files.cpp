// MainWindow, the files side: File > Open Files/Folder, drops on the window, Open Recent, the
// sample gallery, and what is said about paths that went missing.
#include "main_window.h"

#include "common/engine_bridge.h"
#include "common/engine_value.h"
#include "common/panel_widgets.h"
#include "gallery/gallery_widget.h"
#include "io/media.h"
#include "recent_menu.h"
#include "train/sample_gallery.h"

#include <QAction>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>

namespace {

const QString kLastDirKey = QStringLiteral("window/lastDir");
constexpr int kMessageMs = 6000;

QString mediaNameFilter()
{
    QStringList patterns;
    for (const auto *list : {&ml::io::imageExtensions(), &ml::io::videoExtensions()})
        for (const std::string &ext : *list)
            patterns << QStringLiteral("*") + QString::fromStdString(ext);
    return patterns.join(QLatin1Char(' '));
}

} // namespace

void MainWindow::sampleGalleryWritten(bool ok, const QString &error, bool cancelled, const QVariant &value)
{
    m_samplesJob = 0;
    m_openSamples->setEnabled(true);
    const auto result = engineValue<ml::train::SampleGalleryResult>(value);
    if (cancelled)
        return; // the status bar says so
    if (!ok || !result) {
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Sample Gallery"),
            tr("Could not write the sample gallery."), QMessageBox::Ok, this);
        box->setInformativeText(error);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
        return;
    }
    if (!result->warnings.empty()) {
        QStringList details;
        for (const std::string &w : result->warnings)
            details << QString::fromStdString(w);
        auto *box = new QMessageBox(QMessageBox::Information, tr("Sample Gallery"),
            result->fashion == 0 ? tr("The Fashion-MNIST samples were left out: its files are not installed.")
                                 : tr("Some samples were left out."),
            QMessageBox::Ok, this);
        box->setInformativeText(details.join(QLatin1Char('\n')));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    m_gallery->addPaths({QString::fromStdString(result->dir)});
}

void MainWindow::reportMissing(const QStringList &paths, bool restored)
{
    QStringList shown;
    for (const QString &p : paths)
        shown << QDir::toNativeSeparators(p);
    if (!restored) {
        statusBar()->showMessage(tr("Not found: %1").arg(shown.join(QStringLiteral(", "))), 2 * kMessageMs);
        return;
    }
    // At start-up: said once in a box that does not block, then left out of the saved session.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Gallery"),
        tr("%n of the folders and files open when ModalLens last closed could not be found.", nullptr,
            static_cast<int>(paths.size())),
        QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("missingPathsBox"));
    box->setInformativeText(shown.join(QLatin1Char('\n')) + QStringLiteral("\n\n")
        + tr("They are left out of the gallery. When they are back, open them again (File ▸ Open Recent)."));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::openPaths(const QStringList &paths)
{
    if (paths.isEmpty())
        return;
    QStringList recent; // a typo on the command line is not worth remembering
    for (const QString &p : paths.mid(0, RecentMenu::kMaxEntries))
        if (QFileInfo::exists(p))
            recent << p;
    m_recent->add(recent);
    m_gallery->addPaths(paths);
}

QStringList MainWindow::localPaths(const QMimeData *mime)
{
    QStringList paths;
    if (!mime || !mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls())
        if (url.isLocalFile())
            paths << url.toLocalFile();
    return paths;
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!localPaths(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = localPaths(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    openPaths(paths);
}

void MainWindow::openFilesDialog()
{
    QSettings settings;
    const QString filter
        = tr("Photos and videos (%1)").arg(mediaNameFilter()) + QStringLiteral(";;") + tr("All files (*)");
    // First time: ~/Pictures (or home), not the folder the app was started from.
    const QString start = settings.value(kLastDirKey, dialogFolder(QStandardPaths::PicturesLocation)).toString();
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Open Files"), start, filter);
    if (files.isEmpty())
        return;
    settings.setValue(kLastDirKey, QFileInfo(files.first()).absolutePath());
    openPaths(files);
}

void MainWindow::openFolderDialog()
{
    QSettings settings;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Folder"),
        settings.value(kLastDirKey, dialogFolder(QStandardPaths::PicturesLocation)).toString());
    if (dir.isEmpty())
        return;
    settings.setValue(kLastDirKey, dir);
    openPaths({dir});
}

void MainWindow::openSampleGallery()
{
    if (m_samplesJob != 0)
        return;
    ml::Job job = ml::train::makeSampleGalleryJob(m_samplesDir.toStdString());
    job.name = tr("Writing the sample gallery").toStdString();
    m_openSamples->setEnabled(false);
    m_samplesJob = m_bridge->submit(std::move(job));
}
