#pragma once
// How long a suite's trainings will take on this machine, before committing hours to them: each
// distinct model of the suite is trained for a few epochs (a probe, in a scratch cache that is
// removed afterwards), and its seconds per epoch are extrapolated to the epochs its training
// config asks for. What `l2obench train SUITE --estimate E` prints.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "harness/suite.hpp"

namespace l2o::harness {

struct TrainingEstimate {
  std::string key;          // "<optimizer>-<hash>" of the model at the suite's budget
  std::string users;        // "<optimizer label> on <problem label>" of the model's first user
  std::int64_t epochs = 0;  // what the suite's budget trains
  std::int64_t probe_epochs = 0;  // what the probe trained (at most `epochs`)
  double probe_seconds = 0;       // the probe's training seconds, its validations included
  double projected_seconds() const {
    return probe_epochs > 0 ? probe_seconds / double(probe_epochs) * double(epochs) : 0.0;
  }
};

// One probe per model, one after another on the calling thread (with its intra-op threads), so
// that each is timed alone. Models whose budget trains no epochs are left out.
std::vector<TrainingEstimate> estimate_training(const Suite& suite, const Placement& placement,
                                                std::int64_t probe_epochs);

}  // namespace l2o::harness
