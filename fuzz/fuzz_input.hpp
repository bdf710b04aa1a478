#pragma once
// What every fuzz target shares: the input written to a file (the readers take paths, as the
// command line does), and the rule that a refusal must be an InputError.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "learned/checkpoint.hpp"
#include "learned/learned_optimizer.hpp"

namespace l2o::fuzz {

// A folder of this process, created once and removed at exit.
const std::filesystem::path& scratch_folder();

// `size` bytes of `data` in scratch_folder()/name; returns the path.
std::filesystem::path write_input(std::string_view name, const std::uint8_t* data,
                                  std::size_t size);

// Runs `read`; an InputError is a clean refusal, anything else escapes to libFuzzer (which
// reports an uncaught exception as a crash and keeps the input).
template <class Read>
void refuse_only_with_input_error(const Read& read) {
  try {
    read();
  } catch (const InputError&) {
  }
}

// The model the weight-file readers are fuzzed against: an untrained LOA-BFGS (216 weights) and a
// fixed key for it (quadratic, seed 1, float64).
struct FuzzedModel {
  std::unique_ptr<learned::LearnedOptimizer> model;
  learned::CheckpointKey key;
};
FuzzedModel untrained_loa_bfgs();

}  // namespace l2o::fuzz
