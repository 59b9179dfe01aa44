// safetensors: bit-exact round trips of every dtype, a corpus of broken files each refused with
// its own message, zero-copy views of the mapping, and the real CLIP fixture.
#include "common/error.h"
#include "io/safetensors.h"

#include <QtTest>

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <string>

namespace {

std::string readAll(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeAll(const std::filesystem::path &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string u64(std::uint64_t v)
{
    std::string s(8, '\0');
    std::memcpy(s.data(), &v, 8);
    return s;
}

// A safetensors file from a header text and a data section, the length field as given.
std::string fileBytes(const std::string &header, std::size_t dataBytes)
{
    return u64(header.size()) + header + std::string(dataBytes, '\0');
}

// The message of the ml::Error that opening path throws; "" when it opens.
QString openError(const std::filesystem::path &path)
{
    try {
        ml::io::SafetensorsFile::open(path);
    } catch (const ml::Error &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

bool sameBytes(const torch::Tensor &a, const torch::Tensor &b)
{
    const auto ca = a.contiguous(), cb = b.contiguous();
    return ca.scalar_type() == cb.scalar_type() && ca.sizes() == cb.sizes()
        && (ca.nbytes() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), static_cast<std::size_t>(ca.nbytes())) == 0);
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::filesystem::path file(const char *name) const
    {
        return std::filesystem::path(m_dir.path().toStdString()) / name;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void roundTripsEveryDtype()
    {
        torch::manual_seed(0);
        std::map<std::string, torch::Tensor> tensors;
        for (const auto type : {torch::kFloat64, torch::kFloat32, torch::kFloat16, torch::kBFloat16}) {
            const std::string n = ml::io::dtypeName(type);
            tensors[n] = torch::randn({2, 3}, type);
            tensors[n + ".scalar"] = torch::randn({}, type);
            tensors[n + ".empty"] = torch::empty({0, 4}, type);
        }
        tensors["F32.special"] = torch::tensor({0.f, -0.f, INFINITY, -INFINITY, NAN, 1e-45f});
        for (const auto type : {torch::kInt64, torch::kInt32, torch::kInt16, torch::kInt8, torch::kUInt8}) {
            const std::string n = ml::io::dtypeName(type);
            tensors[n] = torch::randint(-1000, 1000, {3, 2, 2}).to(type);
            tensors[n + ".scalar"] = torch::tensor(7).to(type);
            tensors[n + ".empty"] = torch::empty({5, 0}, type);
        }
        tensors["I64.extreme"] = torch::tensor(
            {std::numeric_limits<std::int64_t>::min(), std::int64_t(-1), std::numeric_limits<std::int64_t>::max()});
        tensors["BOOL"] = torch::tensor({true, false, true, true});
        tensors["BOOL.scalar"] = torch::tensor(true);
        tensors["BOOL.empty"] = torch::empty({0}, torch::kBool);
        tensors["F32.transposed"] = torch::arange(12, torch::kFloat32).reshape({3, 4}).t(); // not contiguous
        const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "round trip ✓"}};

        const auto path = file("all.safetensors");
        ml::io::saveSafetensors(path, tensors, metadata);
        const auto f = ml::io::SafetensorsFile::open(path);
        QCOMPARE(f->tensors().size(), tensors.size());
        QVERIFY(f->metadata() == metadata);
        for (const auto &[name, expected] : tensors) {
            QVERIFY2(f->contains(name), name.c_str());
            const auto got = f->tensor(name);
            QVERIFY2(sameBytes(got, expected), name.c_str());
            QCOMPARE(f->info(name).dtype, ml::io::dtypeName(expected.scalar_type()));
        }
        QCOMPARE(f->tensor("F32.scalar").dim(), 0);
        QCOMPARE(f->info("F32.empty").begin, f->info("F32.empty").end);

        // Writer's layout: the header padded to 8 bytes, keys sorted, no temp file left behind.
        const std::string bytes = readAll(path);
        std::uint64_t headerSize = 0;
        std::memcpy(&headerSize, bytes.data(), 8);
        QCOMPARE(headerSize % 8, 0u);
        const auto header = nlohmann::json::parse(bytes.substr(8, headerSize));
        std::string previous;
        for (const auto &[key, value] : header.items()) {
            QVERIFY(previous < key);
            previous = key;
        }
        int entries = 0;
        for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator(m_dir.path().toStdString()))
            ++entries;
        QCOMPARE(entries, 1);
    }

    void overwritesAtomically()
    {
        const auto path = file("over.safetensors");
        ml::io::saveSafetensors(path, {{"a", torch::ones({3})}});
        const auto before = ml::io::SafetensorsFile::open(path);
        const auto viewBefore = before->tensor("a");
        ml::io::saveSafetensors(path, {{"b", torch::zeros({2})}});
        // The old mapping still reads the old file; the new file is complete.
        QVERIFY(torch::equal(viewBefore, torch::ones({3})));
        const auto after = ml::io::SafetensorsFile::open(path);
        QVERIFY(!after->contains("a"));
        QVERIFY(torch::equal(after->tensor("b"), torch::zeros({2})));
    }

    void writerErrors()
    {
        try {
            ml::io::saveSafetensors(file("no/such/dir/x.safetensors"), {{"a", torch::ones({1})}});
            QFAIL("saving into a missing folder succeeded");
        } catch (const ml::Error &e) {
            QVERIFY2(QString(e.what()).contains("x.safetensors: cannot create"), e.what());
        }
        try {
            ml::io::saveSafetensors(file("c.safetensors"), {{"c", torch::ones({2}, torch::kComplexFloat)}});
            QFAIL("saving a complex tensor succeeded");
        } catch (const ml::Error &e) {
            QVERIFY2(QString(e.what()).contains("cannot save tensor 'c'"), e.what());
        }
        QVERIFY(!std::filesystem::exists(file("c.safetensors")));
    }

    void refusesBrokenFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<qint64>("sparseSize"); // > 0: grow the file to this size, a hole
        QTest::addColumn<QString>("expected");
        const auto row = [](const char *name, const std::string &bytes, const QString &expected, qint64 sparse = 0) {
            QTest::newRow(name) << QByteArray::fromStdString(bytes) << sparse << expected;
        };
        const std::string w = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
        row("empty", "", "file is truncated (0 bytes, need at least 8)");
        row("truncated", std::string("\x10\0\0\0\0\0", 6), "file is truncated (6 bytes, need at least 8)");
        row("header past end", u64(9999999999) + w + std::string(16, '\0'),
            QString("header length 9999999999 exceeds file size %1").arg(8 + w.size() + 16));
        row("huge header", u64(200'000'000) + "{", "header length 200000000 exceeds the limit of 100000000 bytes",
            200'000'100);
        row("zero header", u64(0), "header is not valid JSON (parse error at byte 1)");
        row("invalid json", fileBytes(R"({"w": {"dtype": "F32",, }})", 0),
            "header is not valid JSON (parse error at byte 23)");
        row("invalid utf8", fileBytes("{\"w\xff\": 1}", 0), "header is not valid JSON (parse error at byte");
        row("array header", fileBytes("[1, 2, 3]", 0), "header is not a JSON object (it is array)");
        row("duplicate name",
            fileBytes(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                      R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                2),
            "header names 'w' twice");
        row("entry not object", fileBytes(R"({"w":[1]})", 0), "tensor 'w' is not a JSON object");
        row("no dtype", fileBytes(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4), "tensor 'w' has no dtype string");
        row("unknown dtype", fileBytes(R"({"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", 4),
            "tensor 'w' has unknown dtype 'F8_E4M3' (known: F64, F32");
        row("no shape", fileBytes(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", 4), "tensor 'w' has no shape array");
        row("negative shape", fileBytes(R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}})", 0),
            "tensor 'w' shape [2,-1] has a negative dimension");
        row("float shape", fileBytes(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
            "tensor 'w' shape [2.5] holds a non-integer");
        row("shape overflow",
            fileBytes(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}})", 0),
            "tensor 'w' shape [4294967296,4294967296,4] overflows the element count");
        row("byte overflow",
            fileBytes(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0),
            "tensor 'w' shape [4611686018427387904] overflows the byte count");
        row("offsets missing", fileBytes(R"({"w":{"dtype":"F32","shape":[1]}})", 4),
            "tensor 'w' data_offsets is not a pair of non-negative integers (missing)");
        row("offsets not pair", fileBytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
            "tensor 'w' data_offsets is not a pair of non-negative integers ([0])");
        row("negative offset", fileBytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 4),
            "tensor 'w' data_offsets is not a pair of non-negative integers ([-4,0])");
        row("begin after end", fileBytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8),
            "tensor 'w' data_offsets [8, 4] begin after end");
        row("offsets out of range", fileBytes(R"({"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}})", 256),
            "tensor 'w' data_offsets [0, 400] end past the data section (256 bytes)");
        row("size mismatch", fileBytes(R"({"w":{"dtype":"F32","shape":[2,4],"data_offsets":[0,24]}})", 24),
            "tensor 'w' has 24 bytes but shape [2, 4] F32 needs 32");
        row("overlapping",
            fileBytes(R"({"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]},)"
                      R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                24),
            "tensors 'a' and 'b' overlap (bytes [0, 16] and [8, 24])");
        row("metadata not object", fileBytes(R"({"__metadata__":["pt"]})", 0),
            "__metadata__ is not an object of strings");
        row("metadata value", fileBytes(R"({"__metadata__":{"format":1}})", 0),
            "__metadata__ value of 'format' is not a string (1)");
    }

    void refusesBrokenFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(qint64, sparseSize);
        QFETCH(QString, expected);
        const auto path = file("broken.safetensors");
        writeAll(path, bytes.toStdString());
        if (sparseSize > 0)
            std::filesystem::resize_file(path, static_cast<std::uintmax_t>(sparseSize));
        const QString message = openError(path);
        std::filesystem::remove(path);
        QVERIFY2(!message.isEmpty(), "the broken file opened");
        QVERIFY2(message.startsWith(QString::fromStdString(path.string()) + ": "), qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message + "\n  expected: " + expected));
    }

    void refusesMissingFile()
    {
        const QString message = openError(file("absent.safetensors"));
        QVERIFY2(message.endsWith("absent.safetensors: cannot open (No such file or directory)"), qPrintable(message));
    }

    void acceptsEmptyAndPaddedHeader()
    {
        // Spaces pad a header; empty tensors may share an offset with a real one.
        const auto path = file("padded.safetensors");
        writeAll(path,
            fileBytes(R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                      R"("w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})"
                      "     ",
                2));
        const auto f = ml::io::SafetensorsFile::open(path);
        QCOMPARE(f->tensor("e").numel(), 0);
        QCOMPARE(f->tensor("w").numel(), 2);
        QVERIFY(f->metadata().empty());

        writeAll(path, fileBytes("{}", 0));
        QVERIFY(ml::io::SafetensorsFile::open(path)->tensors().empty());
    }

    void refusesBoolOtherThanZeroOrOne()
    {
        const auto path = file("bool.safetensors");
        writeAll(path,
            fileBytes(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", 0)
                + std::string("\x01\x00\x02", 3));
        const auto f = ml::io::SafetensorsFile::open(path);
        try {
            f->tensor("m");
            QFAIL("a BOOL byte of 2 was accepted");
        } catch (const ml::Error &e) {
            QVERIFY2(QString(e.what()).contains("tensor 'm' is BOOL but element 2 is byte 2"), e.what());
        }
    }

    void viewsTheMappingWithoutCopy()
    {
        const auto path = file("view.safetensors");
        const auto source = torch::arange(64, torch::kFloat32).reshape({8, 8});
        ml::io::saveSafetensors(path, {{"w", source}, {"b", torch::ones({3}, torch::kInt8)}});
        auto f = ml::io::SafetensorsFile::open(path);
        auto first = f->tensor("w");
        const auto second = f->tensor("w");
        QCOMPARE(first.data_ptr(), second.data_ptr()); // both view the same mapped bytes
        QVERIFY(first.data_ptr() != source.data_ptr());
        // The data sit right after the header: info().begin bytes into the data section.
        const auto *wBytes = static_cast<const std::uint8_t *>(first.data_ptr());
        const auto *bBytes = static_cast<const std::uint8_t *>(f->tensor("b").data_ptr());
        QCOMPARE(bBytes - wBytes,
            static_cast<std::ptrdiff_t>(f->info("b").begin) - static_cast<std::ptrdiff_t>(f->info("w").begin));

        // The tensor keeps the mapping alive after the file object is gone.
        f.reset();
        QVERIFY(torch::equal(first, source));

        // In-place writes change this process's copy of the pages, never the file.
        first.add_(1);
        QVERIFY(torch::equal(first, source + 1));
        QVERIFY(torch::equal(ml::io::SafetensorsFile::open(path)->tensor("w"), source));
    }

    void copiesUnalignedTensors()
    {
        // A 1-byte tensor first and no padding: the F32 data start at an odd address.
        const std::string header = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                   R"("w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})";
        const float values[2] = {1.5f, -2.25f};
        std::string bytes = u64(header.size()) + header + "\x07";
        bytes.append(reinterpret_cast<const char *>(values), sizeof(values));
        const auto path = file("unaligned.safetensors");
        writeAll(path, bytes);
        const auto f = ml::io::SafetensorsFile::open(path);
        const auto w = f->tensor("w");
        QCOMPARE(reinterpret_cast<std::uintptr_t>(w.data_ptr()) % 4, 0u);
        QVERIFY(torch::equal(w, torch::tensor({1.5f, -2.25f})));
        QCOMPARE(f->tensor("a").item<std::uint8_t>(), 7);
    }

    void opensClipFixture()
    {
        const std::filesystem::path path = std::filesystem::path(MODALLENS_FIXTURES_DIR) / "clip" / "model.safetensors";
        if (!std::filesystem::exists(path))
            QSKIP(qPrintable("fixture absent: " + QString::fromStdString(path.string())));
        const auto f = ml::io::SafetensorsFile::open(path);
        QVERIFY(f->tensors().size() > 10);
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
        const auto all = f->all();
        QCOMPARE(all.size(), f->tensors().size());
        for (const auto &[name, t] : all) {
            QCOMPARE(t.scalar_type(), torch::kFloat16);
            QVERIFY2(torch::isfinite(t.to(torch::kFloat32)).all().item<bool>(), name.c_str());
        }
        QVERIFY(f->contains("logit_scale"));
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
