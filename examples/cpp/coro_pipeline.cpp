// A coroutine pipeline (C++20): open a file, launch one decode per
// message without waiting, then consume the results in order; errors
// arrive as exceptions at co_await.
//
//   c++ -std=c++20 coro_pipeline.cpp $(pkg-config --cflags --libs tensogram) -o coro_pipeline
//   ./coro_pipeline [path]
#include <cstdio>
#include <string>
#include <vector>

#include <tensogram.hpp>
#include <tensogram/async/coro.hpp>

namespace tco = tensogram::coro;

static void write_file(const std::string &path, int messages) {
    auto f = tensogram::file::create(path);
    std::vector<float> v(512);
    for (int m = 0; m < messages; m++) {
        for (std::size_t i = 0; i < v.size(); i++) {
            v[i] = static_cast<float>(m * 1000 + static_cast<int>(i));
        }
        f.append(R"({"base":[{"member":)" + std::to_string(m) +
                     R"(}],"descriptors":[{"type":"ntensor","ndim":2,"shape":[16,32],)"
                     R"("strides":[32,1],"dtype":"float32","encoding":"none",)"
                     R"("filter":"none","compression":"lz4"}]})",
                 {{reinterpret_cast<const std::uint8_t *>(v.data()), v.size() * 4}});
    }
}

static tco::task<double> mean_of_first_values(std::string path) {
    auto file = co_await tco::async_file::open(path);
    std::size_t n = co_await file.message_count();
    std::vector<tco::awaiter<tensogram::message>> pending;
    for (std::size_t i = 0; i < n; i++) {
        pending.push_back(file.decode_message(i)); // all in flight at once
    }
    double sum = 0;
    for (auto &p : pending) {
        tensogram::message m = co_await p;
        sum += m.object(0).data_as<float>()[0];
    }
    try {
        (void)co_await file.decode_message(n); // past the end
    } catch (const tensogram::framing_error &e) {
        std::printf("as expected: %s\n", e.what());
    }
    co_return sum / static_cast<double>(n);
}

int main(int argc, char **argv) {
    const std::string path = argc > 1 ? argv[1] : "coro_example.tgm";
    write_file(path, 16);
    double mean = tco::block_on(mean_of_first_values(path));
    std::printf("mean of the first values of 16 messages: %.1f\n", mean);
    std::remove(path.c_str());
    return mean == 7500.0 ? 0 : 1;
}
