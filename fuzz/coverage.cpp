// Coverage for libFuzzer from GCC. GCC's -fsanitize-coverage=trace-pc calls
// __sanitizer_cov_trace_pc() at every basic block; libFuzzer reads 8-bit counters. Each call
// site (its return address) is hashed to one counter, and the counters are registered once.
// In the fuzz targets libFuzzer receives them (its own trace-pc stub is weakened at link
// time, fuzz/CMakeLists.txt); elsewhere the sanitizer runtime's no-op registration takes them.
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(std::uint8_t* begin, std::uint8_t* end);

namespace {

// 2^18 counters: few collisions for the blocks of our code, a short scan per execution.
constexpr std::uintptr_t counter_count = std::uintptr_t(1) << 18;
std::uint8_t counters[counter_count];

struct RegisterCounters {
  RegisterCounters() { __sanitizer_cov_8bit_counters_init(counters, counters + counter_count); }
} register_counters;

}  // namespace

// Not instrumented itself (it would call itself).
extern "C" __attribute__((no_sanitize_coverage, no_sanitize("address"))) void
__sanitizer_cov_trace_pc() {
  const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  ++counters[(pc ^ (pc >> 18)) % counter_count];
}

// GCC's trace-cmp also traces floating-point comparisons, which libFuzzer has no hook for (and
// which say little about how a parser got somewhere): ignored.
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpd(double, double) {}
