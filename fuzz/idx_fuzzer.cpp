// The IDX reader (Fashion-MNIST's format), gzip or plain.
#include "fuzz/fuzz_input.hpp"
#include "problems/data/readers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("data.idx", data, size);
  l2o::fuzz::refuse_only_with_input_error([&] { l2o::problems::data::read_idx(path); });
  return 0;
}
