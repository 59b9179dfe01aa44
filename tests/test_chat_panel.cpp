// The Chat panel, offscreen, with the embedded blip2-mini: "Chat about This" on a gallery item
// raises it with that picture; the answer streams in (every token partial, in order, before the
// answer finishes) and hovering a word tells its probability and alternatives; a second turn
// carries the first as history; Regenerate replaces the last answer with the new sampling settings
// (remembered in QSettings); the conversation is saved as JSON, listed, and reopened from the
// history list; a corrupt file is listed and named; Stop mid-answer keeps the tokens so far; the
// side panel fits 640 px.
// Env: MODALLENS_SHOTS_DIR=DIR writes chat_*.png there.
#include "chat/chat_controller.h"
#include "chat/chat_panel.h"
#include "chat/chat_settings_page.h"
#include "chat/chat_transcript.h"
#include "chat/chat_view.h"
#include "chat_panel_test_util.h"
#include "common/model_picker.h"
#include "gallery/gallery_filter_model.h"
#include "gallery/gallery_model.h"
#include "gallery/gallery_view.h"
#include "gallery/gallery_widget.h"
#include "main_window.h"
#include "main_window_test_util.h"
#include "shapes_test_util.h"
#include "workspace.h"

#include "common/error.h"
#include "engine/model_discovery.h"
#include "io/conversation.h"
#include "io/media.h"

#include <ATen/Parallel.h>

#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace {

constexpr int kJobTimeoutMs = 120000;

bool blip2MiniPresent()
{
    try {
        return fs::is_regular_file(fs::path(ml::resolveModelPath("blip2-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

} // namespace

class TestChatPanel : public ChatPanelTestBase {
    Q_OBJECT

public:
    TestChatPanel() : ChatPanelTestBase(kJobTimeoutMs) { }

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void sidePanelFits();
    void chatAboutThis();
    void answerStreams();
    void multiTurnAndRegenerate();
    void savedAndReopened();
    void stopMidAnswer();

private:
    void sendFromPanel(const QString &question);

    QString m_image; // a red circle, alone
    bool m_model = false;
};

void TestChatPanel::initTestCase()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    main_window_test::useFreshProfile(m_tmp->path(), QStringLiteral("test_chat_panel"));
    // Qt's test mode puts the data folder under ~/.qttest: earlier runs' conversations are there.
    QVERIFY(QStandardPaths::isTestModeEnabled());
    QDir(ChatController::conversationsDir()).removeRecursively();
    m_window = main_window_test::showMainWindow(m_tmp->path(), QSize(1366, 768));
    QVERIFY(m_window);
    at::set_num_threads(1); // the engine takes every core; see test_training_panel
    m_panel = m_window->chatPanel();
    QVERIFY(m_panel);
    m_c = m_panel->controller();
    QCOMPARE(m_panel->windowTitle(), QStringLiteral("Chat"));
    QVERIFY(m_window->findChild<QAction *>(QStringLiteral("module_chat")));

    using namespace ml::train;
    m_image = m_tmp->path() + QStringLiteral("/red-circle.png");
    ml::io::saveImage(
        shapes_test::render(shapes_test::object(Shape::Circle, Colour::Red, 20, 22, 22)), m_image.toStdString());
    m_model = blip2MiniPresent();
}

void TestChatPanel::cleanupTestCase()
{
    m_window.reset();
}

// send(), and the panel takes the question: the field cleared, Send off, Stop on.
void TestChatPanel::sendFromPanel(const QString &question)
{
    send(question);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(child<QLineEdit>("chatQuestion")->text().isEmpty());
    QVERIFY(!child<QPushButton>("chatSend")->isEnabled());
    QVERIFY(child<QPushButton>("chatStop")->isEnabled());
}

void TestChatPanel::sidePanelFits()
{
    m_window->showModule(m_panel);
    QTRY_VERIFY(!m_panel->visibleRegion().isEmpty());
    auto *side = m_panel->findChild<ChatSettingsPage *>();
    QVERIFY(side);
    QVERIFY2(side->sizeHint().height() <= 640, qPrintable(QString::number(side->sizeHint().height())));
    QVERIFY(side->width() >= 300);
    // The model picker lists LLaVA and BLIP-2 checkpoints and starts on the embedded llava-mini,
    // else blip2-mini; this test chats with blip2-mini.
    QCOMPARE(ModelPicker::embeddedDefault(QStringLiteral("blip-2")), QStringLiteral("blip2-mini"));
    if (!m_model)
        return;
    ModelPicker *picker = m_panel->modelPicker();
    QTRY_VERIFY_WITH_TIMEOUT(!picker->isRefreshing() && !picker->currentPath().isEmpty(), kJobTimeoutMs);
    bool llavaMini = false;
    QString blip2Mini;
    for (const ml::ModelEntry &e : picker->entries()) {
        llavaMini |= e.source == "embedded" && e.name == "llava-mini" && e.error.empty();
        if (e.source == "embedded" && e.name == "blip2-mini")
            blip2Mini = QString::fromStdString(e.path);
    }
    QCOMPARE(QFileInfo(picker->currentPath()).fileName(),
        llavaMini ? QStringLiteral("llava-mini") : QStringLiteral("blip2-mini"));
    QVERIFY(picker->selectPath(blip2Mini));
    QCOMPARE(QFileInfo(m_c->model()).fileName(), QStringLiteral("blip2-mini"));
}

void TestChatPanel::chatAboutThis()
{
    m_window->openPaths({m_image});
    GalleryWidget *gallery = m_window->gallery();
    QTRY_VERIFY_WITH_TIMEOUT(gallery->model()->rowCount() > 0, kJobTimeoutMs);
    m_window->showModule(m_window->library());
    const int row = gallery->model()->rowOf(m_image);
    QVERIFY(row >= 0);
    std::unique_ptr<QMenu> menu(
        gallery->view()->createContextMenu(gallery->proxy()->mapFromSource(gallery->model()->index(row))));
    QAction *chat = nullptr;
    for (QAction *a : menu->actions())
        if (a->objectName() == QLatin1String("contextChat"))
            chat = a;
    QVERIFY(chat && chat->isEnabled());
    chat->trigger();
    QCOMPARE(m_window->workspace()->currentModule(), m_panel);
    QCOMPARE(m_c->imagePath(), m_image);
    QTRY_VERIFY_WITH_TIMEOUT(!m_c->picture().isNull(), kJobTimeoutMs);
    QCOMPARE(child<QLabel>("chatTitle")->text(), QStringLiteral("red-circle.png"));
}

void TestChatPanel::answerStreams()
{
    if (!m_model)
        QSKIP("blip2-mini is not in this tree");
    QTRY_VERIFY_WITH_TIMEOUT(!m_c->model().isEmpty(), kJobTimeoutMs);
    ml::SamplingSettings s = m_c->sampling();
    s.greedy = true;
    s.maxNewTokens = 8; // blip2-mini reads 64 positions: the next turns carry this one
    m_c->setSampling(s);

    // Every partial, then the end: the events in the order they reach the GUI.
    QStringList events;
    QString shownWhileStreaming;
    auto c1 = connect(m_c, &ChatController::tokenStreamed, this, [&](int i) {
        events << QStringLiteral("token %1").arg(i);
        shownWhileStreaming = m_panel->view()->transcript()->toPlainText();
    });
    auto c2 = connect(m_c, &ChatController::answerFinished, this, [&] { events << QStringLiteral("finished"); });
    sendFromPanel(QStringLiteral("what color is the circle?"));
    QVERIFY(waitChat());
    disconnect(c1);
    disconnect(c2);
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    QVERIFY(m_c->lastResult().has_value());
    const ml::ChatResult &r = *m_c->lastResult();
    QVERIFY(!r.tokens.empty());
    QCOMPARE(events.size(), static_cast<int>(r.tokens.size()) + 1);
    for (int i = 0; i < static_cast<int>(r.tokens.size()); ++i)
        QCOMPARE(events[i], QStringLiteral("token %1").arg(i));
    QCOMPARE(events.last(), QStringLiteral("finished"));
    QVERIFY(shownWhileStreaming.contains(QStringLiteral("what color is the circle?")));
    QVERIFY(m_c->lastRequest()->explain); // for the Q-Former panel's word maps
    QVERIFY(r.imageAttention.tokens > 0);
    QCOMPARE(m_c->conversation().turns.size(), std::size_t(1));
    const auto &turn = m_c->conversation().turns[0];
    QCOMPARE(QString::fromStdString(turn.assistant), QString::fromStdString(r.text));
    QCOMPARE(turn.tokens.size(), r.tokens.size());
    QVERIFY(!r.imageSha256.empty());
    QCOMPARE(m_c->conversation().imageSha256, r.imageSha256);
    qInfo("blip2-mini: %s -> %s", "what color is the circle?", r.text.c_str());
    QVERIFY(m_panel->view()->transcript()->toPlainText().contains(QString::fromStdString(r.text)));

    // Hovering the first word: its probability and the alternatives, in the box below.
    const QString info = m_c->tokenInfo(0, 0);
    QVERIFY(info.contains(QStringLiteral("%")));
    QVERIFY(info.contains(QString::fromStdString(r.tokens[0].top.at(0).text)));
    ChatTranscript *transcript = m_panel->view()->transcript();
    const QRect word = transcript->tokenRect(0, 0);
    QVERIFY(word.isValid());
    QTest::mouseMove(transcript->viewport(), word.center());
    QTRY_COMPARE(transcript->hoveredToken(), 0);
    QVERIFY(!child<QLabel>("chatTokenInfo")->text().isEmpty());
    QVERIFY(child<QLabel>("chatTokenInfo")->text().contains(QStringLiteral("%")));
    QVERIFY(m_c->transcriptText().contains(QString::fromStdString(r.text)));
    shot(QStringLiteral("chat_answer.png"));
}

void TestChatPanel::stopMidAnswer()
{
    if (!m_model)
        QSKIP("blip2-mini is not in this tree");
    ml::SamplingSettings s = m_c->sampling();
    s.greedy = false; // hot sampling: EOS is unlikely to end it before Stop does
    s.temperature = 5.0;
    s.maxNewTokens = 512;
    // blip2-mini writes a token in well under a millisecond and its context ends the answer after
    // ~40: it may end before the Stop that its first token triggers reaches the engine (more so
    // on a loaded machine). Some of the tries must be stopped mid-answer.
    int stoppedMidAnswer = 0;
    for (int attempt = 0; attempt < 40 && stoppedMidAnswer == 0; ++attempt) {
        QTest::mouseClick(child<QPushButton>("chatNew"), Qt::LeftButton);
        QVERIFY(m_c->conversation().turns.empty());
        s.seed = 7 + attempt;
        m_c->setSampling(s);
        int streamed = 0;
        auto c = connect(m_c, &ChatController::tokenStreamed, this, [&](int) {
            if (++streamed == 1)
                QTest::mouseClick(child<QPushButton>("chatStop"), Qt::LeftButton);
        });
        sendFromPanel(QStringLiteral("describe the picture"));
        QVERIFY(waitChat());
        disconnect(c);
        QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
        QCOMPARE(m_c->conversation().turns.size(), std::size_t(1));
        const auto &turn = m_c->conversation().turns.back();
        QCOMPARE(static_cast<int>(turn.tokens.size()), streamed); // every partial kept, in the turn
        if (turn.stopReason != "cancelled")
            continue; // it ended on its own first
        ++stoppedMidAnswer;
        QVERIFY(streamed >= 1 && streamed < s.maxNewTokens);
        QVERIFY(m_panel->view()->transcript()->toPlainText().contains(QStringLiteral("(stopped)")));
        QVERIFY(m_c->message().contains(QString::number(streamed)));
        const auto saved = ml::io::loadConversation(m_c->conversationFile().toStdString());
        QCOMPARE(saved.turns.back().stopReason, std::string("cancelled"));
        QCOMPARE(static_cast<int>(saved.turns.back().tokens.size()), streamed);
    }
    QVERIFY(stoppedMidAnswer > 0);

    // Stop before the first token: nothing is kept, the question can be asked again.
    QTest::mouseClick(child<QPushButton>("chatNew"), Qt::LeftButton);
    sendFromPanel(QStringLiteral("describe the picture"));
    QTest::mouseClick(child<QPushButton>("chatStop"), Qt::LeftButton);
    QVERIFY(waitChat());
    QVERIFY(!m_c->messageIsError());
    QVERIFY(m_c->conversation().turns.size() <= 1);
    QVERIFY(child<QPushButton>("chatSend")->isEnabled() == false); // the question line is empty
}

void TestChatPanel::multiTurnAndRegenerate()
{
    if (!m_model)
        QSKIP("blip2-mini is not in this tree");
    const std::size_t before = m_c->conversation().turns.size();
    // The form in the side panel: greedy off, a seed, a few tokens; kept in QSettings.
    child<QCheckBox>("chatGreedy")->setChecked(true);
    child<QSpinBox>("chatMaxTokens")->setValue(8);
    QCOMPARE(m_c->sampling().maxNewTokens, 8);
    sendFromPanel(QStringLiteral("what shape is it?"));
    QVERIFY(waitChat());
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    QCOMPARE(m_c->conversation().turns.size(), before + 1);
    QCOMPARE(m_c->lastRequest()->history.size(), before); // the earlier turns went with it
    QCOMPARE(
        QString::fromStdString(m_c->lastRequest()->history.front().user), QStringLiteral("what color is the circle?"));

    child<QCheckBox>("chatGreedy")->setChecked(false);
    child<QDoubleSpinBox>("chatTemperature")->setValue(1.5);
    child<QSpinBox>("chatSeed")->setValue(123);
    QCOMPARE(QSettings().value(QStringLiteral("chat/seed")).toInt(), 123);
    QVERIFY(child<QPushButton>("chatRegenerate")->isEnabled());
    QTest::mouseClick(child<QPushButton>("chatRegenerate"), Qt::LeftButton);
    QVERIFY(m_c->isBusy());
    QVERIFY(waitChat());
    QVERIFY2(!m_c->messageIsError(), qPrintable(m_c->message()));
    QCOMPARE(m_c->conversation().turns.size(), before + 1); // replaced, not added
    const auto &last = m_c->conversation().turns.back();
    QCOMPARE(QString::fromStdString(last.user), QStringLiteral("what shape is it?"));
    QVERIFY(!last.sampling.greedy);
    QCOMPARE(last.sampling.seed, std::uint64_t(123));
    QCOMPARE(last.sampling.temperature, 1.5);
    QCOMPARE(m_c->lastRequest()->history.size(), before);
}

void TestChatPanel::savedAndReopened()
{
    if (!m_model)
        QSKIP("blip2-mini is not in this tree");
    const QString file = m_c->conversationFile();
    QVERIFY(QFile::exists(file));
    QVERIFY(file.startsWith(ChatController::conversationsDir()));
    const ml::io::Conversation saved = ml::io::loadConversation(file.toStdString());
    const ml::io::Conversation shown = m_c->conversation();
    QCOMPARE(saved.turns.size(), shown.turns.size());
    QCOMPARE(saved.image, m_image.toStdString());
    QCOMPARE(saved.imageSha256, shown.imageSha256);
    QCOMPARE(saved.model, m_c->model().toStdString());
    QCOMPARE(saved.turns[0].tokens.size(), shown.turns[0].tokens.size());
    QCOMPARE(saved.turns[0].tokens[0].prob, shown.turns[0].tokens[0].prob);

    // A broken file beside it is listed, named, and refused with its name.
    const QString broken = ChatController::conversationsDir() + QStringLiteral("/broken.json");
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"format\": 1, \"turns\": [");
    f.close();

    QTest::mouseClick(child<QPushButton>("chatNew"), Qt::LeftButton);
    QVERIFY(m_c->conversation().turns.empty());
    QVERIFY(!m_panel->view()->transcript()->toPlainText().contains(QStringLiteral("what shape")));
    m_c->refreshHistory();
    auto *list = child<QListWidget>("chatHistory");
    // The history is read on a pool thread: until that refresh lands, the list may still be the
    // one from before broken.json was written.
    const auto rowOf = [list](const QString &text) {
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->text().contains(text))
                return i;
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        rowOf(QStringLiteral("what color is the circle?")) >= 0 && rowOf(QStringLiteral("broken.json")) >= 0,
        kJobTimeoutMs);
    QCOMPARE(list->count(), 2);
    const int brokenRow = rowOf(QStringLiteral("broken.json"));
    QVERIFY(list->item(brokenRow)->toolTip().contains(broken));

    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(brokenRow)).center());
    QTRY_VERIFY(m_c->messageIsError());
    QVERIFY2(m_c->message().contains(broken), qPrintable(m_c->message()));

    QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
        list->visualItemRect(list->item(rowOf(QStringLiteral("what color is the circle?")))).center());
    QTRY_COMPARE(m_c->conversation().turns.size(), shown.turns.size());
    QCOMPARE(m_c->conversationFile(), file);
    QCOMPARE(m_c->imagePath(), m_image);
    QCOMPARE(m_c->conversation().turns[0].assistant, shown.turns[0].assistant);
    QVERIFY(m_panel->view()->transcript()->toPlainText().contains(QStringLiteral("what shape is it?")));
    QVERIFY(!m_c->tokenInfo(0, 0).isEmpty()); // the tokens came back with their probabilities
    shot(QStringLiteral("chat_reopened.png"));
}

QTEST_MAIN(TestChatPanel)
#include "test_chat_panel.moc"
