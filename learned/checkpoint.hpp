#pragma once
// Checkpoints of trained learned optimizers: one JSON file with the weights (exact values),
// what they were trained for (the key) and how (the training record). A checkpoint that does
// not parse, belongs to another key, lacks a weight, has a wrong shape or a non-finite value, or
// whose "digest" (core/digest.hpp) is missing or does not match its content (a weight edited in
// place) is an InputError naming the file: never silently retrained over.
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/json_fwd.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

inline constexpr int checkpoint_format_version = 1;
// Bump when a change to the networks, the training loop or the problem kernels changes what a
// given key trains to, so that old checkpoints are no longer found.
inline constexpr int training_code_version = 4;

// Everything that determines the trained weights; its hash names the cache file.
struct CheckpointKey {
  std::string optimizer;  // registry name
  Json config;            // canonical optimizer config
  Json training;          // canonical TrainConfig
  std::string family;     // training family
  Json problem;           // canonical training family config
  std::uint64_t seed = 0;
  std::string dtype;
  std::string device = "cpu";

  Json to_json() const;
  std::string hash() const;  // 16 hex digits
  std::string file_name() const { return optimizer + "-" + hash() + ".json"; }
};

// `provenance` (the build and run context that trained the model) is stored as is.
void save_checkpoint(const std::filesystem::path& path, const LearnedOptimizer& model,
                     const CheckpointKey& key, const TrainResult& result, const Json& provenance);

// Loads the weights into `model` (already built with the key's config) and returns the
// training record.
// `provenance`, when given, receives the stored provenance (null if none).
TrainResult load_checkpoint(const std::filesystem::path& path, LearnedOptimizer& model,
                            const CheckpointKey& key, Json* provenance = nullptr);

// The weights alone, as {name: nested array}, and back (shapes and finiteness checked).
Json weights_to_json(const Weights& weights);
void weights_from_json(const Json& j, const Weights& weights, const std::string& where);

// The weights as one flat array of numbers: each tensor row-major, in the model's weights()
// order (what a method documents as its flat order), and back (count and finiteness checked).
Json flatten_weights(const Weights& weights);
void unflatten_weights(const Json& numbers, const Weights& weights, const std::string& where);

// Reads a weights file into `weights`: a flat array (unflatten_weights) or a checkpoint file
// (its "weights" object). Errors name the file.
void read_weights_file(const std::filesystem::path& path, const Weights& weights);

}  // namespace l2o::learned
