// The LIBSVM reader, with the column count the catalogue gives heart_scale (13): without one
// the width is the largest index in the file, which a one-line file can make any size.
#include "fuzz/fuzz_input.hpp"
#include "problems/data/readers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("data.libsvm", data, size);
  l2o::fuzz::refuse_only_with_input_error([&] { l2o::problems::data::read_libsvm(path, 13); });
  return 0;
}
