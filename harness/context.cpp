#include "harness/context.hpp"

#include <unistd.h>

#include <ctime>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/version.h>
#include <nlohmann/json.hpp>

#include "core/threads.hpp"

namespace l2o::harness {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string blas_kernel() {
  const char* core = openblas_core();
  return core ? core : "unknown";
}

Json run_context(const std::string& device, const Parallelism& parallelism) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const BuildInfo build = build_info();
  return {{"schema_version", report_schema_version},
          {"l2obench_version", "0.1.0"},
          {"git_commit", build.git_commit},
          {"git_dirty", build.git_dirty},
          {"build_type", build.build_type},
          {"compiler", __VERSION__},
          {"libtorch_version", TORCH_VERSION},
          {"blas_kernel", blas_kernel()},
          {"device", device},
          {"threads", parallelism.threads()},
          {"jobs", parallelism.jobs},
          {"intra_op_threads", parallelism.intra_op_threads},
          {"host", host},
          {"date", utc_now()}};
}

}  // namespace l2o::harness
