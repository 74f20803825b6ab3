// The C++20 coroutine frontend (coro.hpp): several operations in flight
// from one coroutine, results equal to the synchronous calls, errors
// thrown at co_await, nested tasks, async_for_each stopping early, and
// the streaming encoder.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#include <tensogram.hpp>
#include <tensogram/async/coro.hpp>

namespace tco = tensogram::coro;

namespace {

std::string tmp_path(const char *name) {
    return std::string(::testing::TempDir()) + "tgm_cpp_coro_" + std::to_string(getpid()) + "_" +
           name;
}

std::string make_file(int messages) {
    auto path = tmp_path("data.tgm");
    auto f = tensogram::file::create(path);
    for (int m = 0; m < messages; m++) {
        std::vector<float> v(1000);
        for (std::size_t i = 0; i < v.size(); i++) {
            v[i] = static_cast<float>(m) + 0.25f * static_cast<float>(i % 17);
        }
        f.append(R"({"base":[{"m":)" + std::to_string(m) +
                     R"(}],"descriptors":[{"type":"ntensor","ndim":1,"shape":[1000],)"
                     R"("strides":[1],"dtype":"float32","encoding":"none","filter":"none",)"
                     R"("compression":"none"}]})",
                 {{reinterpret_cast<const std::uint8_t *>(v.data()), v.size() * 4}});
    }
    return path;
}

tco::task<std::size_t> count_messages(const std::string &path) {
    auto f = co_await tco::async_file::open(path);
    co_return co_await f.message_count();
}

} // namespace

TEST(CppCoro, ManyInFlightFromOneCoroutine) {
    auto path = make_file(12);
    auto run = [&]() -> tco::task<int> {
        auto f = co_await tco::async_file::open(path);
        std::size_t n = co_await count_messages(path); // a nested task
        std::vector<tco::awaiter<tensogram::message>> pending;
        for (std::size_t i = 0; i < n; i++) {
            pending.push_back(f.decode_object(i, 0)); // all launched before any await
        }
        auto sync = tensogram::file::open(path);
        int same = 0;
        for (std::size_t i = 0; i < n; i++) {
            auto a = co_await pending[i];
            auto b = sync.decode_message(i);
            same += a.object(0).data_size() == 4000 &&
                    std::memcmp(a.object(0).data(), b.object(0).data(), 4000) == 0;
        }
        auto md = co_await f.decode_metadata(7);
        same += md.get_int_at(0, "m") == 7;
        // (GCC 12 rejects a braced temporary inside a co_await expression.)
        const std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges{{10, 5}};
        auto parts = co_await f.decode_range(3, 0, ranges);
        same += parts.size() == 1 && parts[0].size() == 20;
        co_return same;
    };
    EXPECT_EQ(tco::block_on(run()), 14);
    std::remove(path.c_str());
}

TEST(CppCoro, ErrorsAndEarlyStop) {
    auto path = make_file(5);
    auto bad = [&]() -> tco::task<void> {
        auto f = co_await tco::async_file::open(path);
        (void)co_await f.decode_message(50);
    };
    EXPECT_THROW(tco::block_on(bad()), tensogram::framing_error);
    auto walk = [&]() -> tco::task<int> {
        auto f = co_await tco::async_file::open(path);
        int seen = 0;
        co_await tco::async_for_each(f, [&](tensogram::message m) {
            seen++;
            return m.get_metadata().get_int_at(0, "m") < 2; // stop after m == 2
        });
        co_return seen;
    };
    EXPECT_EQ(tco::block_on(walk()), 3);
    std::remove(path.c_str());
}

TEST(CppCoro, StreamingEncoder) {
    auto path = tmp_path("stream.tgm");
    auto write = [&]() -> tco::task<std::size_t> {
        auto enc = co_await tco::async_streaming_encoder::create(path, R"({"base":[]})");
        const std::string desc = R"({"type":"ntensor","ndim":1,"shape":[2],"strides":[1],)"
                                 R"("dtype":"uint8","encoding":"none","filter":"none",)"
                                 R"("compression":"none"})";
        for (std::uint8_t k = 0; k < 5; k++) {
            std::vector<std::uint8_t> v{k, static_cast<std::uint8_t>(k + 1)};
            co_await enc.write_object(desc, v.data(), v.size());
        }
        std::size_t n = enc.object_count();
        co_await enc.finish();
        co_return n;
    };
    EXPECT_EQ(tco::block_on(write()), 5u);
    auto f = tensogram::file::open(path);
    auto msg = f.decode_message(0);
    ASSERT_EQ(msg.num_objects(), 5u);
    EXPECT_EQ(msg.object(4).data()[1], 5);
    std::remove(path.c_str());
}
