// The suite parser: a suite file as `l2obench run` reads it, then the canonical suite it
// stores as suite.json, which must parse back (a refusal there is a finding, not bad input).
#include <optional>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.hpp"
#include "harness/suite.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("suite.json", data, size);
  std::optional<l2o::harness::Suite> suite;
  l2o::fuzz::refuse_only_with_input_error([&] { suite = l2o::harness::parse_suite_file(path); });
  if (suite) l2o::harness::parse_suite_json(suite->to_json(), "canonical suite");
  return 0;
}
