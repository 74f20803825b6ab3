// Producer and consumer with the std::future frontend (C++17).
//
// The producer streams 24 forecast steps into one message with the
// asynchronous streaming encoder, without waiting between writes; the
// consumer opens the file and decodes every step concurrently, then
// checks each against the values written.
//
//   c++ -std=c++17 async_decode.cpp $(pkg-config --cflags --libs tensogram) -o async_decode
//   ./async_decode [path]
#include <cmath>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include <tensogram.hpp>
#include <tensogram/async/std_future.hpp>

namespace tsf = tensogram::stdfuture;

static double field(int step, std::size_t i) { return 280.0 + step + std::sin(0.01 * i); }

int main(int argc, char **argv) {
    const std::string path = argc > 1 ? argv[1] : "async_example.tgm";
    const std::size_t n = 100000;
    const int steps = 24;
    try {
        auto enc = tsf::async_streaming_encoder::create(path, R"({"run":"demo"})").get();
        const std::string desc = R"({"type":"ntensor","ndim":1,"shape":[100000],"strides":[1],)"
                                 R"("dtype":"float64","encoding":"simple_packing",)"
                                 R"("sp_bits_per_value":24,"filter":"none","compression":"zstd"})";
        std::vector<std::future<void>> writes;
        std::vector<double> v(n);
        for (int s = 0; s < steps; s++) {
            for (std::size_t i = 0; i < n; i++) {
                v[i] = field(s, i);
            }
            // The data is copied by the call: v can be refilled at once.
            writes.push_back(enc.write_preceder(R"({"step":)" + std::to_string(s) + "}"));
            writes.push_back(enc.write_object(
                desc, reinterpret_cast<const std::uint8_t *>(v.data()), n * sizeof(double)));
        }
        enc.finish().get();
        for (auto &w : writes) {
            w.get(); // rethrows the first failure, if any
        }

        auto file = tsf::async_file::open(path).get();
        std::vector<std::future<tensogram::message>> objs;
        for (int s = 0; s < steps; s++) {
            objs.push_back(file.decode_object(0, static_cast<std::size_t>(s)));
        }
        double worst = 0;
        int steps_ok = 0;
        for (int s = 0; s < steps; s++) {
            auto msg = objs[static_cast<std::size_t>(s)].get();
            // Each object's preceder keys are in its base entry.
            steps_ok += msg.get_metadata().get_int_at(static_cast<std::size_t>(s), "step", -1) == s;
            const double *x = msg.object(0).data_as<double>();
            for (std::size_t i = 0; i < n; i++) {
                worst = std::max(worst, std::fabs(x[i] - field(s, i)));
            }
        }
        std::printf("%d steps decoded concurrently, %d with their step metadata; largest error "
                    "%.2e\n",
                    steps, steps_ok, worst);
        std::remove(path.c_str());
        return worst < 1e-4 && steps_ok == steps ? 0 : 1;
    } catch (const tensogram::error &e) {
        std::fprintf(stderr, "tensogram error %d: %s\n", static_cast<int>(e.code()), e.what());
        return 1;
    }
}
