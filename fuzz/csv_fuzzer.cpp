// The plain CSV reader (diabetes' gzip files), with and without a header line.
#include "fuzz/fuzz_input.hpp"
#include "problems/data/readers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("data.csv", data, size);
  for (std::int64_t skip : {0, 1})
    l2o::fuzz::refuse_only_with_input_error([&] { l2o::problems::data::read_csv(path, skip); });
  return 0;
}
