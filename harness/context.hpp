#pragma once
// The `context` block of every cell and report (modelled on Google Benchmark's JSON context).
#include <string>

#include "core/json_fwd.hpp"
#include "core/parallel.hpp"

namespace l2o::harness {

inline constexpr int report_schema_version = 1;

struct BuildInfo {
  std::string git_commit;
  bool git_dirty = false;
  std::string build_type;
};
BuildInfo build_info();  // generated at build time

// OpenBLAS's kernel for this CPU (core/threads.hpp; OPENBLAS_CORETYPE pins it), or "unknown"
// under another BLAS. Its rounding differs between kernels, and a learned optimizer trained from
// scratch amplifies that (RNNProp on quadratic n = 10, 100 epochs: 0.24 decades between
// kernels), so reports and resume files name it.
std::string blas_kernel();

// schema version, git commit, compiler, LibTorch version, BLAS kernel, device, threads (in all, and
// as jobs × intra-op threads), host, UTC date.
Json run_context(const std::string& device, const Parallelism& parallelism);

std::string utc_now();  // "2026-11-27T18:30:00Z"

}  // namespace l2o::harness
