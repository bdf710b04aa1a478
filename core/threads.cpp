#include "core/threads.hpp"

#include <dlfcn.h>
#include <malloc.h>
#include <strings.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <limits>

namespace l2o {

const char* openblas_core() {
  using CoreName = char* (*)();
  auto core_name = reinterpret_cast<CoreName>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return core_name ? core_name() : nullptr;
}

namespace {

// The OpenBLAS kernels for this CPU where OpenBLAS itself chose its generic ones; null where it
// recognised the CPU, or is not the BLAS in use.
const char* openblas_core_to_force() {
  const char* core = openblas_core();
  if (!core || ::strcasecmp(core, "prescott") != 0) return nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

}  // namespace

void tune_numerical_libraries(char** argv) {
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "passive", 1);
    changed = true;
  }
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr)
    if (const char* core = openblas_core_to_force()) {
      ::setenv("OPENBLAS_CORETYPE", core, 1);
      changed = true;
    }
  if (changed) ::execv("/proc/self/exe", argv);  // returns only on failure: run on as we are
  // glibc hands blocks of a few MB back to the kernel when they are freed (its mmap and trim
  // thresholds); a training step frees and reallocates such blocks every step, and each comes
  // back as fresh zeroed pages. Keeping freed memory in the heap costs only the peak RSS.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: requests up to 32 MB use the heap
  ::mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  ::mallopt(M_TOP_PAD, 64 << 20);
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

}  // namespace l2o
