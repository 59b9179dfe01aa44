// ExplainClient with clip-mini: a video frame asked for through ExplainRequest::videoTimeS gives
// the map of the same frame decoded and saved as a picture; an identical request is answered from
// the cache without a job, two in flight share one job, a cancelled ticket hears nothing, the
// cache weighs results by their bytes, and a bad video fails with its path in the message.
#include "common/engine_bridge.h"
#include "explain/explain_client.h"
#include "shapes_test_util.h"

#include "common/error.h"
#include "engine/clip_service.h"
#include "io/media.h"
#include "io/media_encode.h"

#include <ATen/Parallel.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace {

constexpr int kJobTimeoutMs = 120000;

bool clipMiniPresent()
{
    try {
        return fs::is_regular_file(fs::path(ml::resolveModelPath("clip-mini")) / "model.safetensors");
    } catch (const ml::Error &) {
        return false;
    }
}

// What one ticket heard.
struct Answer {
    ExplainClient::Result result;
    QString error;
    bool cancelled = false;
};

} // namespace

class TestExplainClient : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void videoFrameIsThePicture();
    void identicalRequestFromTheCache();
    void identicalRequestsInFlightShareAJob();
    void cacheWeighsTheMaps();
    void badVideoNamesTheFile();

private:
    ml::ExplainRequest videoRequest() const;
    Answer await(ExplainClient &client, quint64 ticket);

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<EngineBridge> m_bridge;
    QString m_clip; // 2 s at 10 fps: a red circle, then a blue square from 1 s
};

void TestExplainClient::initTestCase()
{
    if (!clipMiniPresent())
        QSKIP("clip-mini is not built into this tree");
    at::set_num_threads(1);
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_bridge = std::make_unique<EngineBridge>();
    using namespace ml::train;
    m_clip = m_tmp->path() + QStringLiteral("/two-shapes.mp4");
    const auto red = shapes_test::render(shapes_test::object(Shape::Circle, Colour::Red, 20, 22, 22));
    const auto blue = shapes_test::render(shapes_test::object(Shape::Square, Colour::Blue, 44, 40, 22));
    ml::io::VideoEncoder encoder;
    encoder.open(m_clip.toStdString(), "h264", red.width, red.height, 10.0);
    for (int i = 0; i < 20; ++i)
        encoder.write(i < 10 ? red : blue);
    encoder.finish();
}

ml::ExplainRequest TestExplainClient::videoRequest() const
{
    ml::ExplainRequest r;
    r.model = "clip-mini";
    r.image = m_clip.toStdString();
    r.videoTimeS = 1.5;
    r.method = ml::ExplainMethod::Relevance;
    r.text = "a blue square";
    r.compute.dtype = "fp32";
    return r;
}

Answer TestExplainClient::await(ExplainClient &client, quint64 ticket)
{
    Answer answer;
    bool done = false;
    const auto connection = connect(&client, &ExplainClient::finished, this,
        [&](quint64 t, const ExplainClient::Result &result, const QString &error, bool cancelled) {
            if (t != ticket)
                return;
            answer = {result, error, cancelled};
            done = true;
        });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(done, kJobTimeoutMs); }();
    disconnect(connection);
    return answer;
}

void TestExplainClient::videoFrameIsThePicture()
{
    ExplainClient client(m_bridge.get());
    const Answer video = await(client, client.explain(videoRequest()));
    QVERIFY2(video.result, qPrintable(video.error));
    QVERIFY(video.result->frameTimeS >= 1.0 && video.result->frameTimeS <= 1.5); // a square's frame
    QCOMPARE(int(video.result->map.size()), video.result->gridH * video.result->gridW);
    QVERIFY(!video.result->map.empty());

    // The same frame decoded here and saved losslessly, explained as a picture.
    ml::io::VideoDecoder decoder(m_clip.toStdString());
    const ml::io::VideoFrame frame = decoder.frameAt(1.5);
    QCOMPARE(frame.timeS, video.result->frameTimeS);
    const QString png = m_tmp->path() + QStringLiteral("/frame.png");
    ml::io::saveImage(frame.image, png.toStdString());
    ml::ExplainRequest picture = videoRequest();
    picture.image = png.toStdString();
    picture.videoTimeS.reset();
    const Answer still = await(client, client.explain(picture));
    QVERIFY2(still.result, qPrintable(still.error));
    QVERIFY(still.result->inputRgb == video.result->inputRgb);
    QCOMPARE(still.result->map.size(), video.result->map.size());
    for (std::size_t i = 0; i < still.result->map.size(); ++i)
        QVERIFY2(qAbs(still.result->map[i] - video.result->map[i]) <= 1e-6f * (1.0f + qAbs(still.result->map[i])),
            qPrintable(
                QStringLiteral("patch %1: %2 vs %3").arg(i).arg(still.result->map[i]).arg(video.result->map[i])));
    QCOMPARE(still.result->similarity, video.result->similarity);
    QCOMPARE(still.result->frameTimeS, -1.0);

    // Another moment is another frame: the red circle's.
    ml::ExplainRequest early = videoRequest();
    early.videoTimeS = 0.2;
    const Answer other = await(client, client.explain(early));
    QVERIFY2(other.result, qPrintable(other.error));
    QVERIFY(other.result->inputRgb != video.result->inputRgb);
    QCOMPARE(client.jobsSubmitted(), 3);
}

void TestExplainClient::identicalRequestFromTheCache()
{
    ExplainClient client(m_bridge.get());
    QSignalSpy started(m_bridge.get(), &EngineBridge::started);
    const Answer first = await(client, client.explain(videoRequest()));
    QVERIFY2(first.result, qPrintable(first.error));
    QCOMPARE(client.jobsSubmitted(), 1);
    QCOMPARE(started.count(), 1);
    QVERIFY(client.cached(videoRequest()) == first.result);

    const quint64 again = client.explain(videoRequest());
    QVERIFY(again != 0);
    const Answer second = await(client, again);
    QVERIFY(second.result == first.result); // the very same result, not a recomputed one
    QCOMPARE(client.jobsSubmitted(), 1);
    QCOMPARE(started.count(), 1); // no second job reached the engine

    // A field that changes the map is another request.
    ml::ExplainRequest otherText = videoRequest();
    otherText.text = "a red circle";
    QVERIFY(!client.cached(otherText));
    QVERIFY(ExplainClient::keyOf(otherText) != ExplainClient::keyOf(videoRequest()));
    ml::ExplainRequest otherTime = videoRequest();
    otherTime.videoTimeS = 0.5;
    QVERIFY(!client.cached(otherTime));

    // The bridge's shared client is one object: both panels ask it.
    QCOMPARE(ExplainClient::of(m_bridge.get()), ExplainClient::of(m_bridge.get()));
}

void TestExplainClient::identicalRequestsInFlightShareAJob()
{
    ExplainClient client(m_bridge.get());
    ml::ExplainRequest r = videoRequest();
    r.text = "a square";
    const quint64 a = client.explain(r);
    const quint64 b = client.explain(r);
    const quint64 c = client.explain(r);
    QVERIFY(a != b && b != c);
    QCOMPARE(client.jobsSubmitted(), 1);
    QSignalSpy finished(&client, &ExplainClient::finished);
    client.cancel(c); // the others still wait: the job goes on
    QVERIFY(!client.isPending(c));
    const Answer answerA = await(client, a);
    QVERIFY2(answerA.result, qPrintable(answerA.error));
    QTRY_COMPARE(finished.count(), 2);
    QList<quint64> heard;
    for (const QList<QVariant> &args : finished)
        heard << args.at(0).toULongLong();
    QVERIFY(heard.contains(a) && heard.contains(b) && !heard.contains(c));

    // Cancelling the only ticket cancels the job; nothing is cached for it.
    ml::ExplainRequest lone = videoRequest();
    lone.text = "a circle";
    QSignalSpy engineFinished(m_bridge.get(), &EngineBridge::finished);
    finished.clear();
    client.cancel(client.explain(lone));
    QTRY_VERIFY_WITH_TIMEOUT(!engineFinished.isEmpty(), kJobTimeoutMs);
    QVERIFY(finished.isEmpty());
    QCOMPARE(client.jobsSubmitted(), 2);
}

void TestExplainClient::cacheWeighsTheMaps()
{
    ExplainClient client(m_bridge.get());
    const Answer answer = await(client, client.explain(videoRequest()));
    QVERIFY2(answer.result, qPrintable(answer.error));
    const qint64 cost = ExplainClient::costOf(*answer.result);
    // The map and the 224 x 224 x 3 input crop at least.
    QVERIFY(cost >= qint64(answer.result->map.size() * sizeof(float) + answer.result->inputRgb.size()));
    QCOMPARE(client.cacheBytes(), cost);

    // A cache smaller than one result keeps nothing: the same request runs again.
    ExplainClient tiny(m_bridge.get(), nullptr, cost - 1);
    QVERIFY2(await(tiny, tiny.explain(videoRequest())).result, "the first run");
    QCOMPARE(tiny.cacheBytes(), 0);
    QVERIFY(!tiny.cached(videoRequest()));
    QVERIFY2(await(tiny, tiny.explain(videoRequest())).result, "the second run");
    QCOMPARE(tiny.jobsSubmitted(), 2);
}

void TestExplainClient::badVideoNamesTheFile()
{
    ExplainClient client(m_bridge.get());
    const QString bad = m_tmp->path() + QStringLiteral("/not-a-video.mp4");
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is text, not H.264");
    }
    ml::ExplainRequest r = videoRequest();
    r.image = bad.toStdString();
    const Answer answer = await(client, client.explain(r));
    QVERIFY(!answer.result);
    QVERIFY(!answer.cancelled);
    QVERIFY2(answer.error.contains(bad), qPrintable(answer.error));
    QVERIFY(!client.cached(r)); // a failure is not cached: a fixed file is explained next time
}

QTEST_GUILESS_MAIN(TestExplainClient)
#include "test_explain_client.moc"
