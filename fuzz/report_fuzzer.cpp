// The report reader and the table `l2obench show` prints from what it accepted.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.hpp"
#include "harness/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("report.json", data, size);
  l2o::fuzz::refuse_only_with_input_error(
      [&] { l2o::harness::format_report_table(l2o::harness::read_report(path)); });
  return 0;
}
