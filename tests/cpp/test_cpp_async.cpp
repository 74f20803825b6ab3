// The asynchronous C++ frontends (callback.hpp, std_future.hpp): many
// operations in flight on one file agree with the synchronous calls;
// errors arrive as the right exception; deadlines and cancellation; the
// streaming encoder; our additions (decode_object, decode_range).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <tensogram.hpp>
#include <tensogram/async/callback.hpp>
#include <tensogram/async/std_future.hpp>

namespace tac = tensogram::async_callback;
namespace tsf = tensogram::stdfuture;
using namespace std::chrono_literals;

namespace {

std::string tmp_path(const char *name) {
    return std::string(::testing::TempDir()) + "tgm_cpp_async_" + std::to_string(getpid()) + "_" +
           name;
}

constexpr int kMessages = 10;
constexpr std::size_t kValues = 4096;

/// A file of kMessages messages, two objects each (zstd, simple_packing).
std::string make_file() {
    static std::string path;
    if (!path.empty()) {
        return path;
    }
    path = tmp_path("data.tgm");
    auto f = tensogram::file::create(path);
    std::vector<double> a(kValues), b(kValues);
    for (int m = 0; m < kMessages; m++) {
        for (std::size_t i = 0; i < kValues; i++) {
            a[i] = m + 0.001 * static_cast<double>((i * 37) % 1000);
            b[i] = -a[i] * 3;
        }
        std::string meta = R"({"base":[{"m":)" + std::to_string(m) +
                           R"(},{}],"descriptors":[)"
                           R"({"type":"ntensor","ndim":1,"shape":[4096],"strides":[1],)"
                           R"("dtype":"float64","encoding":"none","filter":"none",)"
                           R"("compression":"zstd"},)"
                           R"({"type":"ntensor","ndim":1,"shape":[4096],"strides":[1],)"
                           R"("dtype":"float64","encoding":"simple_packing",)"
                           R"("sp_bits_per_value":24,"filter":"none","compression":"none"}]})";
        f.append(meta, {{reinterpret_cast<const std::uint8_t *>(a.data()), kValues * 8},
                        {reinterpret_cast<const std::uint8_t *>(b.data()), kValues * 8}});
    }
    return path;
}

bool same_object(const tensogram::message &x, std::size_t i, const tensogram::message &y,
                 std::size_t j) {
    auto a = x.object(i), b = y.object(j);
    return a.data_size() == b.data_size() && a.data_size() > 0 &&
           std::memcmp(a.data(), b.data(), a.data_size()) == 0;
}

} // namespace

TEST(CppAsync, FuturesOnOneFileMatchSync) {
    auto path = make_file();
    auto sync = tensogram::file::open(path);
    auto file = tsf::async_file::open(path).get();
    EXPECT_EQ(file.path(), path);
    std::vector<std::future<tensogram::message>> objs, msgs;
    for (int i = 0; i < 200; i++) {
        objs.push_back(file.decode_object(static_cast<std::size_t>(i % kMessages),
                                          static_cast<std::size_t>(i % 2)));
    }
    for (int m = 0; m < kMessages; m++) {
        msgs.push_back(file.decode_message(static_cast<std::size_t>(m)));
    }
    auto count = file.message_count();
    auto meta = file.decode_metadata(3);
    auto raw = file.read_message(4);
    auto ranges = file.decode_range(5, 1, {{0, 3}, {4000, 96}});
    EXPECT_EQ(count.get(), static_cast<std::size_t>(kMessages));
    for (int i = 0; i < 200; i++) {
        auto a = objs[static_cast<std::size_t>(i)].get();
        auto b = sync.decode_message(static_cast<std::size_t>(i % kMessages));
        EXPECT_TRUE(same_object(a, 0, b, static_cast<std::size_t>(i % 2))) << i;
    }
    for (int m = 0; m < kMessages; m++) {
        auto a = msgs[static_cast<std::size_t>(m)].get();
        auto b = sync.decode_message(static_cast<std::size_t>(m));
        ASSERT_EQ(a.num_objects(), 2u);
        EXPECT_TRUE(same_object(a, 0, b, 0) && same_object(a, 1, b, 1));
    }
    EXPECT_EQ(meta.get().get_int_at(0, "m"), 3);
    EXPECT_EQ(raw.get(), sync.read_message(4));
    auto parts = ranges.get();
    ASSERT_EQ(parts.size(), 2u);
    auto whole = sync.decode_message(5);
    EXPECT_EQ(parts[1].size(), 96u * 8);
    EXPECT_EQ(std::memcmp(parts[1].data(), whole.object(1).data() + 4000 * 8, 96 * 8), 0);
}

TEST(CppAsync, ErrorsBecomeExceptions) {
    auto path = make_file();
    EXPECT_THROW(tsf::async_file::open("/nonexistent/y.tgm").get(), tensogram::io_error);
    auto file = tsf::async_file::open(path).get();
    EXPECT_THROW(file.decode_message(99).get(), tensogram::framing_error);
    EXPECT_THROW(file.decode_object(0, 9).get(), tensogram::object_error);
    tensogram::decode_options verify;
    verify.verify_hash = true;
    EXPECT_NO_THROW(file.decode_object(1, 1, verify).get());
}

TEST(CppAsync, CallbacksRunOnLibraryThreads) {
    auto path = make_file();
    auto file = tsf::async_file::open(path).get();
    (void)file;
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, ok = 0, off_thread = 0;
    auto me = std::this_thread::get_id();
    tac::async_file::open(path, [&](tac::result<tac::async_file> r) {
        ASSERT_TRUE(r.ok()) << r.message();
        auto f = std::make_shared<tac::async_file>(r.take());
        for (int i = 0; i < 50; i++) {
            f->decode_object(static_cast<std::size_t>(i % kMessages), 1,
                             [&, f](tac::result<tensogram::message> m) {
                                 std::lock_guard<std::mutex> g(mu);
                                 ok += m.ok() &&
                                       m.value().object(0).element_count<double>() == kValues;
                                 off_thread += std::this_thread::get_id() != me;
                                 done++;
                                 cv.notify_all();
                             });
        }
    });
    std::unique_lock<std::mutex> g(mu);
    ASSERT_TRUE(cv.wait_for(g, 120s, [&] { return done == 50; }));
    EXPECT_EQ(ok, 50);
    EXPECT_EQ(off_thread, 50);
}

TEST(CppAsync, DeadlinesAndCancellation) {
    // One large object takes far longer than a millisecond to decode.
    auto path = tmp_path("big.tgm");
    {
        std::vector<double> v(4u << 20);
        for (std::size_t i = 0; i < v.size(); i++) {
            v[i] = static_cast<double>((i * 2654435761u) % 100000) * 0.01;
        }
        auto f = tensogram::file::create(path);
        f.append(R"({"descriptors":[{"type":"ntensor","ndim":1,"shape":[4194304],)"
                 R"("strides":[1],"dtype":"float64","encoding":"none","filter":"none",)"
                 R"("compression":"zstd"}]})",
                 {{reinterpret_cast<const std::uint8_t *>(v.data()), v.size() * 8}});
    }
    auto file = tsf::async_file::open(path).get();
    EXPECT_THROW(file.decode_message(0, nullptr, 1ms).get(), tensogram::timeout_error);

    tac::cancellation_token tok;
    std::vector<std::future<tensogram::message>> futs;
    for (int i = 0; i < 8; i++) {
        futs.push_back(file.decode_message(0, &tok));
    }
    tok.cancel();
    EXPECT_TRUE(tok.cancelled());
    int cancelled = 0;
    for (auto &f : futs) {
        try {
            (void)f.get();
        } catch (const tensogram::cancelled_error &) {
            cancelled++;
        }
    }
    // Those not yet finished when the token fired (at least the queued).
    EXPECT_GE(cancelled, 8 - 2 * static_cast<int>(std::thread::hardware_concurrency()));
    // The handle is still usable afterwards.
    EXPECT_EQ(file.message_count().get(), 1u);
    std::remove(path.c_str());
}

TEST(CppAsync, StreamingEncoderFutures) {
    auto path = tmp_path("stream.tgm");
    auto enc = tsf::async_streaming_encoder::create(path, R"({"base":[]})").get();
    const char *desc = R"({"type":"ntensor","ndim":1,"shape":[8],"strides":[1],)"
                       R"("dtype":"int32","encoding":"none","filter":"none","compression":"lz4"})";
    std::vector<std::future<void>> writes;
    for (int k = 0; k < 20; k++) {
        std::int32_t v[8];
        for (int i = 0; i < 8; i++) {
            v[i] = k * 8 + i;
        }
        writes.push_back(enc.write_object(desc, reinterpret_cast<const std::uint8_t *>(v), 32));
    }
    enc.finish().get();
    for (auto &w : writes) {
        EXPECT_NO_THROW(w.get());
    }
    EXPECT_EQ(enc.try_object_count().status,
              tsf::async_streaming_encoder::object_count_status::finished);
    EXPECT_THROW(enc.write_object(desc, nullptr, 0).get(), tensogram::framing_error);
    auto f = tensogram::file::open(path);
    auto msg = f.decode_message(0);
    ASSERT_EQ(msg.num_objects(), 20u);
    for (int k = 0; k < 20; k++) {
        EXPECT_EQ(msg.object(static_cast<std::size_t>(k)).data_as<std::int32_t>()[7], k * 8 + 7);
    }
    std::remove(path.c_str());
}

TEST(CppAsync, LaunchErrorsCallBackAtOnce) {
    bool called = false;
    tac::async_streaming_encoder::create("/tmp/never.tgm", "{broken",
                                         [&](tac::result<tac::async_streaming_encoder> r) {
                                             called = true;
                                             EXPECT_FALSE(r.ok());
                                             EXPECT_EQ(r.code(), TGM_ERROR_METADATA);
                                         });
    EXPECT_TRUE(called);
    EXPECT_THROW(tac::runtime_configure(2), tensogram::invalid_arg_error);
}
