#pragma once
// Resume files: a training's whole state at an epoch boundary (weights, meta-optimizer moments,
// best weights, curves, moving averages), so that a training killed at any moment and started
// again continues from its last resume file and ends bit-identical to one never interrupted.
// Every random draw of a training is derived from its seeds and the epoch number, so no stream
// state needs saving. One binary file, written atomically: a magic line, the length of a JSON
// header (format, identity, epoch, record, tensor table) and the tensors' raw bytes, exact and
// fast to write for the larger diffusion networks.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json_fwd.hpp"

#include "core/tensor.hpp"

namespace torch::optim {
class Adam;
}

namespace l2o::learned {

inline constexpr int resume_format_version = 1;

// Where a training keeps its resume file. It is written after every validation (validate_every
// epochs) and at the end of any epoch that ends every_seconds or more after the last write.
struct ResumePolicy {
  std::filesystem::path file;  // empty: no resume file
  Json identity;               // what is trained by which build; a file for another is ignored
  double every_seconds = 60;
};

// A training's state after `epoch` epochs: named tensors and a JSON record.
struct TrainingState {
  std::int64_t epoch = 0;
  Json record;
  std::vector<std::pair<std::string, Tensor>> tensors;

  void add(std::string name, const Tensor& t);  // a copy on the CPU
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  const Tensor& at(const std::string& name) const;  // InputError when missing

 private:
  const Tensor* find(const std::string& name) const;
};

void write_resume_file(const ResumePolicy& policy, const TrainingState& state);

// The state in policy.file; nothing when there is none, or (with a warning on stderr) when it
// is unreadable or belongs to another identity or format.
std::optional<TrainingState> read_resume_file(const ResumePolicy& policy);

// Adam's step counts and moments of `parameters`, under `prefix`, and back (exactly).
void save_adam_state(const torch::optim::Adam& optimizer, const std::vector<Tensor>& parameters,
                     const std::string& prefix, TrainingState& out);
void load_adam_state(torch::optim::Adam& optimizer, const std::vector<Tensor>& parameters,
                     const std::string& prefix, const TrainingState& in);

}  // namespace l2o::learned
