#include "tests/support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>

#include <ATen/ATen.h>
#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "harness/suite.hpp"
#include "problems/data/catalog.hpp"

namespace l2o::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("l2obench-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string suite_error(const Json& suite) {
  try {
    harness::parse_suite_json(suite, "s.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

Json numbers_only(Json report) {
  report.erase("context");
  for (Json& cell : report["cells"]) {
    for (const char* key : {"seconds_per_step", "rollout_seconds", "reference_seconds"})
      cell["eval"].erase(key);
    cell.erase("digest");  // covers the times
  }
  return report;
}

double max_relative_difference(const Tensor& a, const Tensor& b) {
  Tensor x = a.to(at::kDouble), y = b.to(at::kDouble);
  return ((x - y).abs() / y.abs().clamp_min(1.0)).max().item<double>();
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool dataset_installed(const std::string& name) {
  namespace data = l2o::problems::data;
  const auto missing = data::missing_file(data::find_dataset(name, "test"), data::data_folder());
  if (missing.empty()) return true;
  BOOST_TEST_MESSAGE("skipped: data set " << name << " is not installed (" << missing.string()
                                          << " is missing; scripts/setup installs it)");
  return false;
}

}  // namespace l2o::testing
