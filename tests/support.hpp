#pragma once
// Helpers shared by the tests.
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/json_fwd.hpp"
#include "core/tensor.hpp"

namespace l2o::testing {

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Largest |a − b| / max(1, |b|) over all entries.
double max_relative_difference(const Tensor& a, const Tensor& b);

struct CommandResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line and captures what it prints.
CommandResult run_command(const std::string& command);

// The message of the InputError parse_suite_json gives for `suite` (named "s.json"); "" if none.
std::string suite_error(const Json& suite);

// A report's numbers without what legitimately varies between runs (timings, dates, digests).
Json numbers_only(Json report);

// Whether the named catalogue data set is installed in the data folder; if not, says so in the
// test log (a test on real data then returns early: skipped, not failed).
bool dataset_installed(const std::string& name);

}  // namespace l2o::testing
