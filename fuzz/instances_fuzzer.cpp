// The instance-file reader (`l2obench instances` output, read back by import_instances).
#include "core/files.hpp"
#include "fuzz/fuzz_input.hpp"
#include "harness/instances.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("instances.json", data, size);
  l2o::fuzz::refuse_only_with_input_error(
      [&] { l2o::harness::import_instances(l2o::read_json_file(path), path.string()); });
  return 0;
}
