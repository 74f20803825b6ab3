// The synchronous C++ interface (tensogram.hpp): round trips, the
// exception classes chosen by error code, metadata cursors, files,
// iterators, ranges and the streaming encoder.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#include <tensogram.hpp>

namespace {

std::string tmp_path(const char *name) {
    return std::string(::testing::TempDir()) + "tgm_cpp_api_" + std::to_string(getpid()) + "_" +
           name;
}

const char *kMeta = R"({"base":[{"mars":{"param":"2t","step":6}}],"centre":"ecmf",)"
                    R"("descriptors":[{"type":"ntensor","ndim":2,"shape":[3,4],)"
                    R"("strides":[4,1],"dtype":"float64","encoding":"none",)"
                    R"("filter":"none","compression":"zstd"}]})";

std::vector<double> values() {
    std::vector<double> v(12);
    for (int i = 0; i < 12; i++) {
        v[i] = 0.5 * i - 2.0;
    }
    return v;
}

std::vector<std::uint8_t> encode_values(const std::vector<double> &v,
                                        tensogram::encode_options o = {}) {
    return tensogram::encode(
        kMeta, {{reinterpret_cast<const std::uint8_t *>(v.data()), v.size() * sizeof(double)}}, o);
}

} // namespace

TEST(CppApi, RoundTripAndAccessors) {
    auto v = values();
    auto bytes = encode_values(v);
    auto msg = tensogram::decode(bytes.data(), bytes.size());
    EXPECT_EQ(msg.version(), tensogram::wire_version);
    ASSERT_EQ(msg.num_objects(), 1u);
    auto obj = msg.object(0);
    EXPECT_EQ(obj.shape(), (std::vector<std::uint64_t>{3, 4}));
    EXPECT_EQ(obj.strides(), (std::vector<std::uint64_t>{4, 1}));
    EXPECT_EQ(obj.dtype_string(), "float64");
    EXPECT_EQ(obj.compression(), "zstd");
    EXPECT_TRUE(obj.has_hash());
    EXPECT_EQ(obj.hash_type(), "xxh3");
    EXPECT_EQ(obj.hash_value().size(), 16u);
    ASSERT_EQ(obj.element_count<double>(), 12u);
    for (int i = 0; i < 12; i++) {
        EXPECT_EQ(obj.data_as<double>()[i], v[i]);
    }
    EXPECT_NE(obj.descriptor_json().find("\"zstd\""), std::string::npos);
    std::size_t n = 0;
    for (auto o : msg) {
        EXPECT_EQ(o.ndim(), 2u);
        n++;
    }
    EXPECT_EQ(n, 1u);
    // An index out of range gives empty values, not a crash.
    EXPECT_TRUE(msg.object(7).shape().empty());
    EXPECT_EQ(msg.object(7).data(), nullptr);
}

TEST(CppApi, ExceptionClassFollowsTheErrorCode) {
    std::vector<std::uint8_t> junk(64, 0x42);
    EXPECT_THROW((void)tensogram::decode(junk.data(), junk.size()), tensogram::framing_error);
    auto bytes = encode_values(values());
    EXPECT_THROW((void)tensogram::decode_object(bytes.data(), bytes.size(), 3),
                 tensogram::object_error);
    EXPECT_THROW((void)tensogram::file::open("/nonexistent/x.tgm"), tensogram::io_error);
    EXPECT_THROW((void)tensogram::encode("{not json", {}), tensogram::metadata_error);
    tensogram::encode_options bad;
    bad.hash_algo = "md5";
    EXPECT_THROW((void)encode_values(values(), bad), tensogram::invalid_arg_error);

    tensogram::encode_options nohash;
    nohash.hash_algo = "";
    auto plain = encode_values(values(), nohash);
    tensogram::decode_options verify;
    verify.verify_hash = true;
    try {
        (void)tensogram::decode(plain.data(), plain.size(), verify);
        FAIL() << "no exception";
    } catch (const tensogram::integrity_error &e) {
        EXPECT_EQ(e.code(), TGM_ERROR_MISSING_HASH);
        EXPECT_NE(std::string(e.what()).find("hash"), std::string::npos);
    }
}

TEST(CppApi, NonFiniteValuesNeedOptions) {
    auto v = values();
    v[3] = std::nan("");
    EXPECT_THROW((void)encode_values(v), tensogram::encoding_error);
    tensogram::encode_options o;
    o.allow_nan = true;
    auto bytes = encode_values(v, o);
    auto msg = tensogram::decode(bytes.data(), bytes.size());
    EXPECT_TRUE(std::isnan(msg.object(0).data_as<double>()[3]));
    tensogram::decode_options keep;
    keep.restore_non_finite = false;
    auto raw = tensogram::decode(bytes.data(), bytes.size(), keep);
    EXPECT_EQ(raw.object(0).data_as<double>()[3], 0.0);
}

TEST(CppApi, MetadataCursors) {
    auto bytes = encode_values(values());
    auto md = tensogram::decode_metadata(bytes.data(), bytes.size());
    EXPECT_EQ(md.get_string("mars.param"), "2t");
    EXPECT_EQ(md.get_int("mars.step"), 6);
    EXPECT_EQ(md.get_string("centre"), "ecmf");
    EXPECT_EQ(md.get_int("missing", -7), -7);
    EXPECT_TRUE(md.contains("mars.param"));
    EXPECT_FALSE(md.contains("mars.nope"));
    auto step = md.try_get_int("mars.step");
    ASSERT_TRUE(step.has_value());
    EXPECT_EQ(*step, 6);
    EXPECT_FALSE(md.try_get_string("mars.step").has_value());
    auto mars = md.get("mars");
    ASSERT_TRUE(mars.has_value());
    EXPECT_TRUE(mars->is_map());
    EXPECT_EQ(mars->size(), 2u);
    EXPECT_EQ(mars->to_json(), R"({"param":"2t","step":6})");
    EXPECT_EQ(md.extra().get("centre")->as_string().value(), "ecmf");
    auto msg = tensogram::decode(bytes.data(), bytes.size());
    EXPECT_EQ(msg.get_metadata().get_string("mars.param"), "2t");
}

TEST(CppApi, FilesIteratorsAndRanges) {
    auto path = tmp_path("file.tgm");
    auto v = values();
    {
        auto f = tensogram::file::create(path);
        for (int k = 0; k < 3; k++) {
            for (auto &x : v) {
                x += 1;
            }
            f.append(kMeta, {{reinterpret_cast<const std::uint8_t *>(v.data()), 96}});
        }
        EXPECT_EQ(f.path(), path);
    }
    auto f = tensogram::file::open(path);
    ASSERT_EQ(f.message_count(), 3u);
    auto m2 = f.decode_message(2);
    EXPECT_EQ(m2.object(0).data_as<double>()[0], v[0]);
    auto o2 = f.decode_object(2, 0);
    EXPECT_EQ(o2.object(0).data_as<double>()[11], v[11]);
    EXPECT_EQ(f.decode_metadata(1).get_string("mars.param"), "2t");
    auto raw = f.read_message(1);

    tensogram::file_iterator it(f);
    std::vector<std::uint8_t> m;
    int count = 0;
    while (it.next(m)) {
        count++;
    }
    EXPECT_EQ(count, 3);

    std::vector<std::uint8_t> all;
    for (std::size_t i = 0; i < 3; i++) {
        auto b = f.read_message(i);
        all.insert(all.end(), b.begin(), b.end());
    }
    auto entries = tensogram::scan(all.data(), all.size());
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[1].length, raw.size());
    tensogram::buffer_iterator bi(all.data(), all.size());
    EXPECT_EQ(bi.count(), 3u);

    // Ranges: from an uncompressed copy of the object.
    std::string plain_meta = kMeta;
    plain_meta.replace(plain_meta.find("zstd"), 4, "none");
    raw = tensogram::encode(plain_meta,
                            {{reinterpret_cast<const std::uint8_t *>(v.data()), v.size() * 8}});
    auto parts = tensogram::decode_range(raw.data(), raw.size(), 0, {{1, 2}, {10, 2}});
    ASSERT_EQ(parts.size(), 2u);
    ASSERT_EQ(parts[1].size(), 16u);
    auto whole = tensogram::decode(raw.data(), raw.size());
    EXPECT_EQ(std::memcmp(parts[1].data(), whole.object(0).data() + 80, 16), 0);
    auto joined = tensogram::decode_range_joined(raw.data(), raw.size(), 0, {{1, 2}, {10, 2}});
    EXPECT_EQ(joined.size(), 32u);

    tensogram::object_iterator oi(raw.data(), raw.size());
    auto holder = tensogram::decode(raw.data(), raw.size());
    EXPECT_TRUE(oi.next(holder));
    EXPECT_FALSE(oi.next(holder));
    EXPECT_NE(tensogram::validate(raw.data(), raw.size()).find("\"issues\""), std::string::npos);
    EXPECT_EQ(tensogram::compute_hash(raw.data(), 8).size(), 16u);
    std::remove(path.c_str());
}

TEST(CppApi, StreamingEncoder) {
    auto path = tmp_path("stream.tgm");
    const char *desc = R"({"type":"ntensor","ndim":1,"shape":[12],"strides":[1],)"
                       R"("dtype":"float64","encoding":"none","filter":"none",)"
                       R"("compression":"none"})";
    auto v = values();
    {
        tensogram::streaming_encoder enc(path, R"({"base":[]})");
        enc.write_preceder(R"({"step":1})");
        enc.write_object(desc, reinterpret_cast<const std::uint8_t *>(v.data()), 96);
        enc.write_object(desc, reinterpret_cast<const std::uint8_t *>(v.data()), 96);
        EXPECT_EQ(enc.object_count(), 2u);
        enc.finish_backfilled();
    }
    auto f = tensogram::file::open(path);
    ASSERT_EQ(f.message_count(), 1u);
    auto msg = f.decode_message(0);
    EXPECT_EQ(msg.num_objects(), 2u);
    EXPECT_EQ(msg.get_metadata().get_int_at(0, "step"), 1);
    std::remove(path.c_str());
}
