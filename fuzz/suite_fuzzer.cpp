// The suite parser: a suite file as `l2obench run` reads it, then the canonical suite it
// stores, which must parse back.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.hpp"
#include "harness/suite.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("suite.json", data, size);
  l2o::fuzz::refuse_only_with_input_error([&] {
    const l2o::harness::Suite suite = l2o::harness::parse_suite_file(path);
    // What a run writes as suite.json must reload: a refusal here is a bug, not bad input.
    l2o::harness::parse_suite_json(suite.to_json(), "canonical suite");
  });
  return 0;
}
