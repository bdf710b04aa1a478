#pragma once
// Trained models shipped with the repository (models/<optimizer>-<hash>.safetensors, named like
// the cache's checkpoints), so that a paper-budget result is re-evaluated in minutes instead of
// retrained for hours. The safetensors layout (core/safetensors.hpp) keeps each weight in its own
// dtype, exactly, and Python reads it without l2obench; its "__metadata__" holds, as JSON text:
//   format "l2obench-model", format_version, key (CheckpointKey), hash, result (TrainResult:
//   curves and seconds), provenance (the build that trained it), digest (below).
// The digest covers the metadata and every tensor's name, dtype, shape and bytes: a file edited
// or damaged since it was written is refused, like a checkpoint.
#include <filesystem>
#include <string_view>

#include "core/json_fwd.hpp"
#include "learned/checkpoint.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

inline constexpr int shipped_model_format_version = 1;
inline constexpr std::string_view shipped_model_extension = ".safetensors";

// "<optimizer>-<hash>.safetensors": the cache file name with the shipped extension.
std::filesystem::path shipped_model_name(const CheckpointKey& key);

void save_shipped_model(const std::filesystem::path& path, const LearnedOptimizer& model,
                        const CheckpointKey& key, const TrainResult& result,
                        const Json& provenance);

// Loads the weights into `model` (built with the key's config) and returns the training record;
// an InputError naming the file when it is not a shipped model, its digest does not match, it
// was trained for another key, or a weight is missing, extra, of another shape or dtype, or
// non-finite.
TrainResult load_shipped_model(const std::filesystem::path& path, LearnedOptimizer& model,
                               const CheckpointKey& key, Json* provenance = nullptr);

}  // namespace l2o::learned
