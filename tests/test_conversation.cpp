// The conversation store (core/io/conversation): a conversation with tokens and sampling settings
// survives a save and a load unchanged; the history list is newest first and lists a broken file
// with its error; corrupt, truncated and mistyped files are refused with a message naming them.
#include "common/error.h"
#include "io/conversation.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

ml::io::Conversation sample()
{
    ml::io::Conversation c;
    c.id = "20261207-010000-abcd";
    c.model = "/models/blip2-mini";
    c.image = "/pictures/shape 1.png";
    c.videoTimeS = 1.5;
    c.imageSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    c.created = "2026-12-07T01:00:00Z";
    c.updated = "2026-12-07T01:00:05Z";
    ml::io::ConversationTurn t;
    t.user = "what color is the circle?";
    t.assistant = "red";
    t.stopReason = "eos";
    t.time = "2026-12-07T01:00:05Z";
    t.sampling.greedy = false;
    t.sampling.temperature = 0.7;
    t.sampling.topK = 40;
    t.sampling.topP = 0.9;
    t.sampling.repetitionPenalty = 1.2;
    t.sampling.seed = 42;
    t.sampling.maxNewTokens = 16;
    ml::ChatToken token;
    token.index = 0;
    token.id = 1234;
    token.text = " red";
    token.prob = 0.875f;
    token.top = {{1234, " red", 0.875f}, {99, " blue", 0.0625f}};
    t.tokens.push_back(token);
    c.turns.push_back(t);
    c.turns.push_back({"and the square?", "blue", {}, {}, "max-tokens", "2026-12-07T01:00:09Z"});
    return c;
}

void writeText(const fs::path &file, const std::string &text)
{
    std::ofstream(file, std::ios::binary) << text;
}

QString loadError(const fs::path &file)
{
    try {
        ml::io::loadConversation(file);
    } catch (const ml::Error &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestConversation : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void titleAndHistory();
    void listNewestFirst();
    void badFiles_data();
    void badFiles();
    void unwritableFolder();
};

void TestConversation::roundTrip()
{
    QTemporaryDir dir;
    const fs::path file = fs::path(dir.path().toStdString()) / "conversations" / "c.json";
    const ml::io::Conversation c = sample();
    ml::io::saveConversation(c, file); // creates the folder
    QVERIFY(fs::is_regular_file(file));
    QVERIFY(!fs::exists(fs::path(file).concat(".tmp")));
    const ml::io::Conversation back = ml::io::loadConversation(file);
    QCOMPARE(back.id, c.id);
    QCOMPARE(back.model, c.model);
    QCOMPARE(back.image, c.image);
    QVERIFY(back.videoTimeS.has_value());
    QCOMPARE(*back.videoTimeS, 1.5);
    QCOMPARE(back.imageSha256, c.imageSha256);
    QCOMPARE(back.created, c.created);
    QCOMPARE(back.updated, c.updated);
    QCOMPARE(back.turns.size(), std::size_t(2));
    const auto &t = back.turns[0];
    QCOMPARE(t.user, c.turns[0].user);
    QCOMPARE(t.assistant, std::string("red"));
    QCOMPARE(t.stopReason, std::string("eos"));
    QCOMPARE(t.sampling.greedy, false);
    QCOMPARE(t.sampling.temperature, 0.7);
    QCOMPARE(t.sampling.topK, 40);
    QCOMPARE(t.sampling.topP, 0.9);
    QCOMPARE(t.sampling.repetitionPenalty, 1.2);
    QCOMPARE(t.sampling.seed, std::uint64_t(42));
    QCOMPARE(t.sampling.maxNewTokens, 16);
    QCOMPARE(t.tokens.size(), std::size_t(1));
    QCOMPARE(t.tokens[0].id, std::int64_t(1234));
    QCOMPARE(t.tokens[0].text, std::string(" red"));
    QCOMPARE(t.tokens[0].prob, 0.875f);
    QCOMPARE(t.tokens[0].top.size(), std::size_t(2));
    QCOMPARE(t.tokens[0].top[1].text, std::string(" blue"));
    QCOMPARE(t.tokens[0].top[1].prob, 0.0625f);
    QCOMPARE(back.turns[1].stopReason, std::string("max-tokens"));
    QVERIFY(back.turns[1].tokens.empty());

    // A picture (no frame time) stays without one.
    ml::io::Conversation still = c;
    still.videoTimeS.reset();
    ml::io::saveConversation(still, file); // replaces the file
    QVERIFY(!ml::io::loadConversation(file).videoTimeS.has_value());
}

void TestConversation::titleAndHistory()
{
    ml::io::Conversation c = sample();
    QCOMPARE(c.title(), std::string("what color is the circle?"));
    c.turns[0].user = std::string(100, 'x');
    QCOMPARE(c.title(), std::string(60, 'x') + "…");
    const auto history = c.history();
    QCOMPARE(history.size(), std::size_t(2));
    QCOMPARE(history[1].user, std::string("and the square?"));
    QCOMPARE(history[1].assistant, std::string("blue"));
    QVERIFY(ml::io::newConversationId() != ml::io::newConversationId());
    QCOMPARE(ml::io::nowIso8601().size(), std::size_t(20));
}

void TestConversation::listNewestFirst()
{
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    QVERIFY(ml::io::listConversations(root / "missing").empty());
    ml::io::Conversation older = sample();
    older.id = std::string {"older"};
    older.updated = "2026-12-06T10:00:00Z";
    ml::io::Conversation newer = sample();
    newer.id = std::string {"newer"};
    newer.updated = "2026-12-07T10:00:00Z";
    ml::io::saveConversation(older, root / "a.json");
    ml::io::saveConversation(newer, root / "b.json");
    writeText(root / "broken.json", "{\"format\": 1, \"turns\": [");
    writeText(root / "notes.txt", "not a conversation");
    const auto list = ml::io::listConversations(root);
    QCOMPARE(list.size(), std::size_t(3));
    QCOMPARE(list[0].id, std::string("b"));
    QCOMPARE(list[0].turns, 2);
    QCOMPARE(list[0].title, std::string("what color is the circle?"));
    QCOMPARE(list[0].model, std::string("/models/blip2-mini"));
    QCOMPARE(list[1].id, std::string("a"));
    QCOMPARE(list[2].id, std::string("broken")); // no time: last
    QVERIFY(QString::fromStdString(list[2].error).contains(QString::fromStdString((root / "broken.json").string())));
}

void TestConversation::badFiles_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("problem");
    QTest::newRow("truncated") << "{\"format\": 1, \"turns\": [{\"user\": \"hi\""
                               << "not valid JSON";
    QTest::newRow("binary") << QString::fromLatin1("\x89PNG\r\n") << "not valid JSON";
    QTest::newRow("empty") << ""
                           << "not valid JSON";
    QTest::newRow("a list") << "[1, 2]"
                            << "not a conversation";
    QTest::newRow("no format") << "{\"turns\": []}"
                               << "\"format\" is missing";
    QTest::newRow("other format") << "{\"format\": 7}"
                                  << "\"format\" is 7";
    QTest::newRow("turns not a list") << "{\"format\": 1, \"turns\": 3}"
                                      << "\"turns\" is not a list";
    QTest::newRow("wrong type") << "{\"format\": 1, \"turns\": [{\"user\": 5}]}"
                                << "\"user\" has the wrong type";
    QTest::newRow("bad token") << "{\"format\": 1, \"turns\": [{\"tokens\": [{\"prob\": \"high\"}]}]}"
                               << "\"prob\" has the wrong type";
    QTest::newRow("image not an object") << "{\"format\": 1, \"image\": \"x.png\"}"
                                         << "\"image\" is not an object";
}

void TestConversation::badFiles()
{
    QFETCH(QString, text);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    const fs::path file = fs::path(dir.path().toStdString()) / "bad conversation.json";
    writeText(file, text.toStdString());
    const QString error = loadError(file);
    QVERIFY2(error.startsWith(QString::fromStdString(file.string()) + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
    const QString missing = loadError(file.parent_path() / "absent.json");
    QVERIFY2(missing.contains(QStringLiteral("absent.json: cannot be opened")), qPrintable(missing));
}

void TestConversation::unwritableFolder()
{
    QTemporaryDir dir;
    const fs::path blocker = fs::path(dir.path().toStdString()) / "file";
    writeText(blocker, "x"); // a file where the folder should be
    try {
        ml::io::saveConversation(sample(), blocker / "c.json");
        QFAIL("saving under a file should fail");
    } catch (const ml::Error &e) {
        QVERIFY2(QString::fromStdString(e.what()).contains(QString::fromStdString(blocker.string())), e.what());
    }
}

QTEST_GUILESS_MAIN(TestConversation)
#include "test_conversation.moc"
