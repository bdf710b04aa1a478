// The shipped-model reader (the safetensors layout, its metadata and digest) for an untrained
// LOA-BFGS (216 weights) under a fixed key; the seed corpus holds that model.
// L2O_FUZZ_WRITE_SEEDS=<folder> writes the seed and exits.
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.hpp"
#include "learned/shipped_model.hpp"

namespace {

namespace learned = l2o::learned;

std::unique_ptr<learned::LearnedOptimizer> model;
learned::CheckpointKey key;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto fuzzed = l2o::fuzz::untrained_loa_bfgs();
  model = std::move(fuzzed.model);
  key = fuzzed.key;
  if (const char* folder = std::getenv("L2O_FUZZ_WRITE_SEEDS")) {
    learned::save_shipped_model(std::filesystem::path(folder) / "model.safetensors", *model, key,
                                {}, l2o::Json::object());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("model.safetensors", data, size);
  l2o::fuzz::refuse_only_with_input_error([&] { learned::load_shipped_model(path, *model, key); });
  return 0;
}
