// scikit-learn's CSV format (breast_cancer.csv): a "rows,columns,class names" header.
#include "fuzz/fuzz_input.hpp"
#include "problems/data/readers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("data.csv", data, size);
  l2o::fuzz::refuse_only_with_input_error(
      [&] { l2o::problems::data::read_sklearn_csv(path, "fuzzed"); });
  return 0;
}
