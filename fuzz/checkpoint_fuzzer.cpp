// The checkpoint reader and the weights-file reader (a checkpoint or a flat array), for an
// untrained LOA-BFGS (216 weights) under a fixed key; the seed corpus holds that checkpoint.
// L2O_FUZZ_WRITE_SEEDS=<folder> writes the two seeds (checkpoint, flat array) and exits.
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "fuzz/fuzz_input.hpp"
#include "learned/checkpoint.hpp"

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
    const std::filesystem::path out = folder;
    learned::save_checkpoint(out / "checkpoint.json", *model, key, {}, l2o::Json());
    l2o::write_json_atomically(out / "flat.json", learned::flatten_weights(model->weights()));
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = l2o::fuzz::write_input("checkpoint.json", data, size);
  l2o::fuzz::refuse_only_with_input_error([&] { learned::load_checkpoint(path, *model, key); });
  l2o::fuzz::refuse_only_with_input_error(
      [&] { learned::read_weights_file(path, model->weights()); });
  return 0;
}
