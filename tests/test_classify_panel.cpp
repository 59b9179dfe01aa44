// The Classify panel, offscreen, against a tiny random CLIP the test writes itself: the model
// picker lists it, photos are classified into one bar per label, a folder (photos and a clip,
// classified on its middle frame) streams into the batch table and exports as CSV (every label's
// probability) and JSON, a labelled folder fills the confusion matrix, and bad label sets and
// prompts are refused in the panel.
#include "classify/classify_controller.h"
#include "classify/classify_evaluation_page.h"
#include "classify/classify_panel.h"
#include "classify/classify_result_page.h"
#include "classify/classify_table_model.h"
#include "classify/label_sets.h"
#include "common/engine_bridge.h"
#include "common/feature_layout.h"
#include "common/model_picker.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "io/media_encode.h"
#include "io/safetensors.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "models/clip/clip_config.h"
#include "models/clip/clip_model.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>

namespace {

constexpr int kJobTimeoutMs = 240000;
const QString kTokenizerDir = QStringLiteral(MODALLENS_FIXTURES_DIR "/tokenizers/clip");

// Text and vision towers of width 32 with 2 layers, random weights: whisper.cpp's weightless
// for-tests models, in Hugging Face layout.
void writeTinyClip(const QString &dir)
{
    const nlohmann::json config = {
        {"model_type", "clip"},
        {"architectures", {"CLIPModel"}},
        {"projection_dim", 16},
        {"logit_scale_init_value", 2.6592},
        {"text_config",
            {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                {"max_position_embeddings", 77}, {"vocab_size", 49408}, {"eos_token_id", 2},
                {"hidden_act", "quick_gelu"}}},
        {"vision_config",
            {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
                {"image_size", 32}, {"patch_size", 8}, {"hidden_act", "quick_gelu"}}},
    };
    const nlohmann::json preprocessor = {
        {"size", {{"shortest_edge", 32}}},
        {"crop_size", {{"height", 32}, {"width", 32}}},
        {"do_resize", true},
        {"do_center_crop", true},
        {"do_normalize", true},
        {"image_mean", {0.48145466, 0.4578275, 0.40821073}},
        {"image_std", {0.26862954, 0.26130258, 0.27577711}},
    };
    QVERIFY(QDir().mkpath(dir));
    std::ofstream(QString(dir + QStringLiteral("/config.json")).toStdString()) << config.dump(2);
    std::ofstream(QString(dir + QStringLiteral("/preprocessor_config.json")).toStdString()) << preprocessor.dump(2);

    torch::manual_seed(7);
    ml::clip::ClipModel model(ml::clip::ClipConfig::fromJson(config));
    std::map<std::string, torch::Tensor> tensors;
    {
        torch::NoGradGuard noGrad;
        for (const auto &p : model->named_parameters()) {
            if (p.key() == "logit_scale")
                p.value().fill_(std::log(100.0)); // the trained CLIP value, so the panel shows 100.0
            tensors[p.key()] = p.value().detach().clone();
        }
        for (const auto &b : model->named_buffers())
            tensors[b.key()] = b.value().detach().clone();
    }
    ml::io::saveSafetensors(QString(dir + QStringLiteral("/model.safetensors")).toStdString(), tensors);
    for (const char *name : {"vocab.json", "merges.txt"})
        QVERIFY(QFile::copy(
            kTokenizerDir + QLatin1Char('/') + QLatin1String(name), dir + QLatin1Char('/') + QLatin1String(name)));
}

void writePicture(const QString &path, QColor colour, int variant)
{
    QImage image(64, 64, QImage::Format_RGB32);
    image.fill(QColor(32, 32, 32));
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    if (variant % 2 == 0)
        p.drawEllipse(QRect(12 + variant, 12, 32, 32));
    else
        p.drawRect(QRect(14, 10 + variant, 30, 30));
    p.end();
    QVERIFY(image.save(path));
}

// 2 s at 10 fps, 64 x 64: red for the first second, blue for the second.
void writeClip(const QString &path)
{
    ml::io::VideoEncoder encoder;
    encoder.open(path.toStdString(), "h264", 64, 64, 10.0);
    for (int i = 0; i < 20; ++i) {
        ml::io::RgbImage frame;
        frame.width = frame.height = 64;
        frame.pixels.resize(64 * 64 * 3);
        for (std::size_t p = 0; p < frame.pixels.size(); p += 3) {
            frame.pixels[p] = i < 10 ? 220 : 40;
            frame.pixels[p + 1] = 40;
            frame.pixels[p + 2] = i < 10 ? 40 : 220;
        }
        encoder.write(frame);
    }
    encoder.finish();
}

double probabilitySum(const ml::ImageScores &s)
{
    double sum = 0.0;
    for (const ml::LabelScore &l : s.scores)
        sum += l.prob;
    return sum;
}

} // namespace

class TestClassifyPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void labelSets();
    void listsTheModel();
    void classifiesSelectedPhotos();
    void batchStreamsAndExports();
    void evaluatesLabelledFolder();
    void rejectsBadInput();

private:
    void waitIdle(ClassifyController *classify);

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<MainWindow> m_window;
    QString m_modelDir;
    QString m_photos; // red.png, green.png, blue.png and clip.mp4
    QString m_clip;
    QString m_labelled; // red_things/ and blue_things/, three photos each
    QStringList m_files;
};

void TestClassifyPanel::initTestCase()
{
    if (!QFileInfo::exists(kTokenizerDir + QStringLiteral("/vocab.json")))
        QSKIP("CLIP tokenizer fixtures not found at " MODALLENS_FIXTURES_DIR "/tokenizers/clip "
              "(set MODALLENS_FIXTURES_DIR)");
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    // The app's model folder and settings inside the temporary folder, not the user's.
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_classify_panel"));

    m_modelDir = m_tmp->path() + QStringLiteral("/models/tiny-clip");
    writeTinyClip(m_modelDir);
    if (QTest::currentTestFailed())
        return;
    // Two bad checkpoints beside it: one without its tokenizer (fails when loaded), one whose
    // weights are not a safetensors file (fails when listed).
    const QString models = m_tmp->path() + QStringLiteral("/models/");
    for (const QString &name : {QStringLiteral("no-tokenizer"), QStringLiteral("corrupt-weights")}) {
        QVERIFY(QDir().mkpath(models + name));
        for (const char *file : {"config.json", "preprocessor_config.json", "model.safetensors"})
            QVERIFY(QFile::copy(m_modelDir + QLatin1Char('/') + QLatin1String(file),
                models + name + QLatin1Char('/') + QLatin1String(file)));
    }
    QFile corrupt(models + QStringLiteral("corrupt-weights/model.safetensors"));
    QVERIFY(corrupt.open(QIODevice::WriteOnly | QIODevice::Truncate));
    corrupt.write("definitely not safetensors");
    corrupt.close();
    QVERIFY(
        QFile::copy(m_modelDir + QStringLiteral("/vocab.json"), models + QStringLiteral("corrupt-weights/vocab.json")));

    m_photos = m_tmp->path() + QStringLiteral("/photos");
    QVERIFY(QDir().mkpath(m_photos));
    const QList<QPair<QString, QColor>> colours {{QStringLiteral("red"), QColor(230, 40, 40)},
        {QStringLiteral("green"), QColor(40, 200, 60)}, {QStringLiteral("blue"), QColor(50, 90, 230)}};
    for (int i = 0; i < colours.size(); ++i) {
        m_files << m_photos + QLatin1Char('/') + colours[i].first + QStringLiteral(".png");
        writePicture(m_files.last(), colours[i].second, i);
    }
    m_clip = m_photos + QStringLiteral("/clip.mp4");
    writeClip(m_clip);
    QVERIFY(QFileInfo(m_clip).size() > 0);
    m_labelled = m_tmp->path() + QStringLiteral("/labelled");
    for (const auto &[name, colour] : {std::pair {QStringLiteral("red_things"), QColor(230, 40, 40)},
             std::pair {QStringLiteral("blue_things"), QColor(50, 90, 230)}}) {
        QVERIFY(QDir().mkpath(m_labelled + QLatin1Char('/') + name));
        for (int i = 0; i < 3; ++i)
            writePicture(QStringLiteral("%1/%2/%3.png").arg(m_labelled, name).arg(i), colour, i);
    }

    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1400, 900));
    QVERIFY(m_window);
    m_window->showModule(m_window->classifyPanel()); // its pages are checked as laid out on screen
}

void TestClassifyPanel::cleanupTestCase()
{
    m_window.reset();
}

void TestClassifyPanel::waitIdle(ClassifyController *classify)
{
    QTRY_VERIFY_WITH_TIMEOUT(!classify->isRunning(), kJobTimeoutMs);
}

void TestClassifyPanel::labelSets()
{
    QCOMPARE(LabelSets::labels(QStringLiteral("cifar10")).size(), 10);
    const QStringList fashion = LabelSets::labels(QStringLiteral("fashion-mnist"));
    QCOMPARE(fashion.size(), 10);
    QCOMPARE(fashion.first(), QStringLiteral("T-shirt/top"));
    QCOMPARE(fashion.last(), QStringLiteral("Ankle boot"));
    const QStringList shapes = LabelSets::labels(QStringLiteral("shapes-world"));
    QCOMPARE(shapes.size(), 24);
    QVERIFY(shapes.contains(QStringLiteral("red circle")));
    QVERIFY(shapes.contains(QStringLiteral("white diamond")));
    QCOMPARE(LabelSets::parse(QStringLiteral("  cat \n\n dog\n")), (QStringList {"cat", "dog"}));
    QVERIFY(!LabelSets::problem({QStringLiteral("cat")}).isEmpty());
    QVERIFY(!LabelSets::problem({QStringLiteral("cat"), QStringLiteral("cat")}).isEmpty());
    QVERIFY(LabelSets::problem({QStringLiteral("cat"), QStringLiteral("dog")}).isEmpty());

    ClassifyPanel *panel = m_window->classifyPanel();
    ClassifyController *classify = panel->controller();
    classify->useLabelSet(QStringLiteral("shapes-world"));
    QCOMPARE(classify->labels(), shapes);
    QCOMPARE(classify->templates(), QStringList {LabelSets::defaultTemplate()});
    QCOMPARE(panel->findChild<QSpinBox *>(QStringLiteral("topK"))->value(), 5);

    // The editor and the prompt list show the controller's labels and templates, and an edit
    // in the editor becomes the controller's labels (a built-in set edited is the user's own).
    auto *editor = panel->findChild<QPlainTextEdit *>(QStringLiteral("labelEdit"));
    QVERIFY(editor);
    QCOMPARE(LabelSets::parse(editor->toPlainText()), shapes);
    QCOMPARE(panel->findChild<QListWidget *>(QStringLiteral("templateList"))->count(), 1);
    editor->setPlainText(QStringLiteral("cat\ndog\n"));
    QCOMPARE(classify->labels(), (QStringList {"cat", "dog"}));
    QVERIFY(classify->labelSet().isEmpty());
    classify->useLabelSet(QStringLiteral("shapes-world"));
    QCOMPARE(LabelSets::parse(editor->toPlainText()), shapes);

    // The workspace layout: results in the main view, settings in a side panel that fits a
    // 1366 x 768 screen's central area (about 640 pixels high) without scrolling.
    auto *layout = panel->findChild<FeatureLayout *>(QStringLiteral("classifyLayout"));
    QVERIFY(layout);
    QCOMPARE(layout->mainView()->objectName(), QStringLiteral("classifyViews"));
    QCOMPARE(layout->sidePanel()->objectName(), QStringLiteral("classifySide"));
    QVERIFY2(layout->sidePanel()->sizeHint().height() <= 640,
        qPrintable(QString::number(layout->sidePanel()->sizeHint().height())));
    QVERIFY(layout->sidePanel()->isAncestorOf(panel->findChild<QWidget *>(QStringLiteral("classifySelected"))));
    QVERIFY(layout->mainView()->isAncestorOf(panel->findChild<QWidget *>(QStringLiteral("batchTable"))));
}

void TestClassifyPanel::listsTheModel()
{
    ClassifyPanel *panel = m_window->classifyPanel();
    ModelPicker *picker = panel->modelPicker();
    QSignalSpy refreshed(picker, &ModelPicker::refreshed);
    picker->addFolder(m_tmp->path() + QStringLiteral("/models"));
    QVERIFY(ModelPicker::userFolders().contains(QDir::cleanPath(m_tmp->path() + QStringLiteral("/models"))));
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 1 && !picker->isRefreshing(), kJobTimeoutMs);

    bool found = false;
    for (const ml::ModelEntry &e : picker->entries())
        if (QDir::cleanPath(QString::fromStdString(e.path)) == QDir::cleanPath(m_modelDir)) {
            found = true;
            QCOMPARE(QString::fromStdString(e.family), QStringLiteral("clip"));
            QVERIFY(e.parameters > 0);
        }
    QVERIFY2(found, "the tiny checkpoint is not listed");
    QVERIFY(picker->selectPath(QString::fromStdString([&] {
        for (const ml::ModelEntry &e : picker->entries())
            if (QDir::cleanPath(QString::fromStdString(e.path)) == QDir::cleanPath(m_modelDir))
                return e.path;
        return std::string();
    }())));
    QVERIFY(picker->combo()->currentText().contains(QStringLiteral("tiny-clip")));
    QVERIFY(picker->combo()->currentText().contains(QStringLiteral("clip")));
    QVERIFY(!picker->currentPath().isEmpty());
}

void TestClassifyPanel::classifiesSelectedPhotos()
{
    ClassifyPanel *panel = m_window->classifyPanel();
    ClassifyController *classify = panel->controller();
    QVERIFY(!panel->modelPicker()->currentPath().isEmpty());
    const QStringList labels {QStringLiteral("red circle"), QStringLiteral("green circle"),
        QStringLiteral("blue square"), QStringLiteral("yellow diamond")};
    classify->setLabels(labels);

    // Nothing in the gallery yet: the panel says so and starts nothing.
    QCOMPARE(classify->classifySelected(), quint64(0));
    QVERIFY(classify->messageIsError());
    auto *message = panel->findChild<QLabel *>(QStringLiteral("classifyMessage"));
    QVERIFY(message && !message->isHidden());
    QCOMPARE(message->text(), classify->message());

    GalleryWidget *gallery = m_window->gallery();
    m_window->openPaths(m_files);
    QTRY_COMPARE_WITH_TIMEOUT(gallery->model()->rowCount(), 3, kJobTimeoutMs);
    gallery->view()->selectAll();
    QCOMPARE(classify->selectedFiles().size(), 3);

    QVERIFY(classify->classifySelected() != 0);
    waitIdle(classify);
    QVERIFY2(!classify->messageIsError(), qPrintable(classify->message()));
    QCOMPARE(classify->imageResultCount(), 3);
    QCOMPARE(panel->findChild<QListWidget *>(QStringLiteral("imageResults"))->count(), 3);
    for (int i = 0; i < 3; ++i) {
        const ml::ImageScores &s = classify->imageResult(i);
        QVERIFY2(s.error.empty(), s.error.c_str());
        QCOMPARE(static_cast<int>(s.scores.size()), labels.size());
        QVERIFY(std::abs(probabilitySum(s) - 1.0) < 1e-4);
        for (std::size_t r = 1; r < s.scores.size(); ++r)
            QVERIFY(s.scores[r - 1].prob >= s.scores[r].prob);
    }
    auto *results = panel->findChild<ClassifyResultPage *>();
    QVERIFY(results);
    classify->showImageResult(1);
    QCOMPARE(classify->currentImageResult(), 1);
    QCOMPARE(panel->findChild<QListWidget *>(QStringLiteral("imageResults"))->currentRow(), 1);
    QCOMPARE(results->chartBarCount(), labels.size());
    QCOMPARE(results->chartHighlightCount(), std::min<int>(5, labels.size()));
    QCOMPARE(results->chartLabels().first(), QString::fromStdString(classify->imageResult(1).scores.front().label));
    panel->findChild<QSpinBox *>(QStringLiteral("topK"))->setValue(2);
    QCOMPARE(results->chartHighlightCount(), 2);
    QVERIFY2(classify->runInfo().contains(QStringLiteral("logit scale 100.0")), qPrintable(classify->runInfo()));
    QVERIFY(classify->runInfo().contains(QStringLiteral("0.010")));
}

void TestClassifyPanel::batchStreamsAndExports()
{
    ClassifyPanel *panel = m_window->classifyPanel();
    ClassifyController *classify = panel->controller();
    const QStringList labels {QStringLiteral("red"), QStringLiteral("green"), QStringLiteral("blue")};
    classify->setLabels(labels);
    QSignalSpy partial(m_window->bridge(), &EngineBridge::partial);
    QVERIFY(classify->classifyFolder(m_photos) != 0);
    waitIdle(classify);
    QVERIFY2(!classify->messageIsError(), qPrintable(classify->message()));
    QVERIFY(partial.count() >= 4); // rows streamed in before the job finished
    ClassifyTableModel *model = classify->batchModel();
    QCOMPARE(model->rowCount(), 4);
    QCOMPARE(model->videoCount(), 1);
    QCOMPARE(panel->findChild<QTabWidget *>(QStringLiteral("classifyViews"))->currentIndex(),
        int(ClassifyController::BatchView));
    // The clip is classified, on the frame at its middle (1 s of 2 s), and says so.
    const auto clipRow = std::find_if(model->results().begin(), model->results().end(),
        [&](const ml::ImageScores &r) { return QString::fromStdString(r.file) == m_clip; });
    QVERIFY(clipRow != model->results().end());
    QVERIFY2(clipRow->error.empty(), clipRow->error.c_str());
    QCOMPARE(static_cast<int>(clipRow->scores.size()), labels.size());
    QVERIFY2(std::abs(clipRow->frameS - 1.0) < 0.11, qPrintable(QString::number(clipRow->frameS)));
    const int clipIndex = static_cast<int>(clipRow - model->results().begin());
    QVERIFY2(
        model->index(clipIndex, ClassifyTableModel::FileColumn).data().toString().contains(QStringLiteral("clip.mp4")),
        qPrintable(model->index(clipIndex, 0).data().toString()));
    QVERIFY(model->index(clipIndex, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("middle")));

    // Sortable by probability.
    auto *view = panel->findChild<QTableView *>(QStringLiteral("batchTable"));
    QVERIFY(view);
    view->sortByColumn(ClassifyTableModel::TopProbColumn, Qt::DescendingOrder);
    for (int r = 1; r < 4; ++r)
        QVERIFY(
            view->model()->index(r - 1, ClassifyTableModel::TopProbColumn).data(ClassifyTableModel::SortRole).toDouble()
            >= view->model()
                   ->index(r, ClassifyTableModel::TopProbColumn)
                   .data(ClassifyTableModel::SortRole)
                   .toDouble());

    // Double-click previews the row's file.
    QSignalSpy activated(panel, &ClassifyPanel::fileActivated);
    const QModelIndex first = view->model()->index(0, 0);
    Q_EMIT view->doubleClicked(first);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.first().at(0).toString(), first.data(ClassifyTableModel::PathRole).toString());

    const QString csvPath = m_tmp->path() + QStringLiteral("/out.csv");
    QVERIFY(classify->exportBatch(csvPath, false));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    // Every label's probability, in the order given, after the top label; the frame time for the clip.
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines.first(), QStringLiteral("file,frame_s,top_label,top_prob,p(red),p(green),p(blue),error"));
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList fields = lines[i].split(QLatin1Char(','));
        QCOMPARE(fields.size(), 8);
        const bool clip = fields[0] == m_clip;
        QVERIFY(clip || m_files.contains(fields[0]));
        QCOMPARE(fields[1].isEmpty(), !clip);
        if (clip)
            QVERIFY(std::abs(fields[1].toDouble() - 1.0) < 0.11);
        const int top = static_cast<int>(labels.indexOf(fields[2]));
        QVERIFY(top >= 0);
        double sum = 0.0;
        for (int l = 0; l < labels.size(); ++l) {
            const double p = fields[4 + l].toDouble();
            QVERIFY(p <= fields[3].toDouble());
            sum += p;
        }
        QCOMPARE(fields[4 + top].toDouble(), fields[3].toDouble());
        QVERIFY(std::abs(sum - 1.0) < 1e-4);
        QVERIFY(fields[7].isEmpty());
    }

    const QString jsonPath = m_tmp->path() + QStringLiteral("/out.json");
    QVERIFY(classify->exportBatch(jsonPath, true));
    QFile jsonFile(jsonPath);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonDocument doc = QJsonDocument::fromJson(jsonFile.readAll());
    QVERIFY(doc.isArray());
    QCOMPARE(doc.array().size(), 4);
    for (const QJsonValue &v : doc.array()) {
        const QJsonObject o = v.toObject();
        const bool clip = o.value(QStringLiteral("file")).toString() == m_clip;
        QVERIFY(clip || m_files.contains(o.value(QStringLiteral("file")).toString()));
        QCOMPARE(o.contains(QStringLiteral("frame_s")), clip);
        const QJsonArray scores = o.value(QStringLiteral("scores")).toArray();
        QCOMPARE(scores.size(), labels.size());
        double sum = 0.0, last = 2.0;
        for (const QJsonValue &s : scores) {
            QVERIFY(labels.contains(s.toObject().value(QStringLiteral("label")).toString()));
            const double p = s.toObject().value(QStringLiteral("prob")).toDouble();
            QVERIFY(p <= last);
            last = p;
            sum += p;
        }
        QVERIFY(std::abs(sum - 1.0) < 1e-4);
    }
}

void TestClassifyPanel::evaluatesLabelledFolder()
{
    ClassifyPanel *panel = m_window->classifyPanel();
    ClassifyController *classify = panel->controller();
    QVERIFY(classify->evaluateFolder(m_labelled) != 0);
    waitIdle(classify);
    QVERIFY2(!classify->messageIsError(), qPrintable(classify->message()));
    QVERIFY(classify->evaluation().has_value());
    auto *evaluation = panel->findChild<ClassifyEvaluationPage *>();
    QVERIFY(evaluation);
    const auto matrix = evaluation->confusionMatrix();
    QCOMPARE(matrix.size(), std::size_t(2));
    int total = 0;
    for (const auto &row : matrix) {
        QCOMPARE(row.size(), std::size_t(2));
        for (int v : row)
            total += v;
    }
    QCOMPARE(total, 6);
    QCOMPARE(panel->findChild<QTableView *>(QStringLiteral("perClassTable"))->model()->rowCount(), 2);
    const double accuracy = classify->evaluation()->accuracy;
    QVERIFY(accuracy >= 0.0 && accuracy <= 1.0);

    // Clicking a non-empty cell opens its images.
    int truth = -1, predicted = -1;
    for (int t = 0; t < 2 && truth < 0; ++t)
        for (int p = 0; p < 2; ++p)
            if (matrix[t][p] > 0) {
                truth = t;
                predicted = p;
                break;
            }
    QCOMPARE(static_cast<int>(classify->cellImages(truth, predicted).size()), matrix[truth][predicted]);
    m_window->showModule(panel); // an earlier slot opened a file in the Library
    QTRY_VERIFY(evaluation->confusionWidget()->isVisible());
    QTest::mouseClick(
        evaluation->confusionWidget(), Qt::LeftButton, {}, evaluation->confusionCellCenter(truth, predicted));
    QWidget *dialog = nullptr;
    QTRY_VERIFY((dialog = panel->findChild<QWidget *>(QStringLiteral("confusionCellDialog"))) != nullptr);
    auto *list = dialog->findChild<QListWidget *>();
    QVERIFY(list);
    QCOMPARE(list->count(), matrix[truth][predicted]);
    dialog->close();
}

void TestClassifyPanel::rejectsBadInput()
{
    ClassifyPanel *panel = m_window->classifyPanel();
    ClassifyController *classify = panel->controller();
    const QStringList before = classify->templates();

    QVERIFY(!classify->addTemplate(QStringLiteral("a photo without a slot")));
    QVERIFY(classify->messageIsError());
    QVERIFY(classify->message().contains(QStringLiteral("{}")));
    QCOMPARE(classify->templates(), before);

    // Editing a prompt so that it loses its "{}" puts it back.
    QListWidgetItem *item = panel->findChild<QListWidget *>(QStringLiteral("templateList"))->item(0);
    item->setText(QStringLiteral("no slot here"));
    QCOMPARE(item->text(), before.first());
    QCOMPARE(classify->templates(), before);

    QVERIFY(classify->addTemplate(QStringLiteral("a sketch of a {}.")));
    QVERIFY(!classify->messageIsError());
    QCOMPARE(classify->templates().size(), before.size() + 1);

    // One label, or the same label twice, is refused before any job starts.
    classify->setLabels({QStringLiteral("cat")});
    QCOMPARE(classify->classifyFiles(m_files), quint64(0));
    QVERIFY(classify->messageIsError());
    classify->setLabels({QStringLiteral("cat"), QStringLiteral("cat")});
    QCOMPARE(classify->classifyFiles(m_files), quint64(0));
    QVERIFY(classify->message().contains(QStringLiteral("cat")));

    // A file that is not an image: the job runs, the file's row says what went wrong.
    classify->setLabels({QStringLiteral("cat"), QStringLiteral("dog")});
    const QString broken = m_tmp->path() + QStringLiteral("/broken.png");
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a png");
    f.close();
    QVERIFY(classify->classifyFiles({m_files.first(), broken}) != 0);
    waitIdle(classify);
    QCOMPARE(classify->imageResultCount(), 2);
    QVERIFY(!classify->imageResult(1).error.empty());
    QVERIFY(classify->messageIsError());

    // A checkpoint whose weights cannot be read is listed but cannot be chosen.
    ModelPicker *picker = panel->modelPicker();
    const QString good = picker->currentPath();
    QString corruptPath, noTokenizerPath;
    for (const ml::ModelEntry &e : picker->entries()) {
        const QString path = QString::fromStdString(e.path);
        if (path.endsWith(QStringLiteral("corrupt-weights"))) {
            corruptPath = path;
            QVERIFY(!e.error.empty());
        } else if (path.endsWith(QStringLiteral("no-tokenizer"))) {
            noTokenizerPath = path;
        }
    }
    QVERIFY(!corruptPath.isEmpty() && !noTokenizerPath.isEmpty());
    QVERIFY(!picker->selectPath(corruptPath));
    QCOMPARE(picker->currentPath(), good);

    // A model that fails to load: the job's error shows in the panel, nothing crashes.
    QVERIFY(picker->selectPath(noTokenizerPath));
    QVERIFY(classify->classifyFiles(m_files) != 0);
    waitIdle(classify);
    QVERIFY(classify->messageIsError());
    QVERIFY2(classify->message().contains(QStringLiteral("failed")), qPrintable(classify->message()));
    QCOMPARE(classify->imageResultCount(), 0);
    QVERIFY(picker->selectPath(good));
    QVERIFY(classify->classifyFiles({m_files.first()}) != 0);
    waitIdle(classify);
    QVERIFY2(!classify->messageIsError(), qPrintable(classify->message()));
    QCOMPARE(classify->imageResultCount(), 1);
    QVERIFY(m_window->isVisible()); // and the app carries on
}

QTEST_MAIN(TestClassifyPanel)
#include "test_classify_panel.moc"
