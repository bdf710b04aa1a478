#pragma once
// How long a suite's trainings will take on this machine, before committing hours to them: each
// distinct model of the suite is trained for a few epochs, twice (E and 2E epochs, in scratch
// caches that are removed afterwards). The difference of the two is the cost of E epochs alone;
// what is left of the shorter one is the cost of its validations and setup. Both extrapolate to
// the epochs and validations the model's budget asks for. What `l2obench train SUITE
// --estimate E` prints.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"
#include "harness/suite.hpp"

namespace l2o::harness {

struct TrainingEstimate {
  std::string key;  // "<optimizer>-<hash>" of the model at the suite's budget
  // "<optimizer label> on <problem label>" of its first user, or "<optimizer label> trial <k> on
  // <problem label>" for a model of a tuning trial.
  std::string users;
  std::int64_t epochs = 0;             // what the suite's budget trains
  std::int64_t validate_every = 0;     // its epochs between validations (0: the budget has none)
  std::int64_t probe_epochs = 0;       // E (at most `epochs`)
  std::int64_t long_probe_epochs = 0;  // min(2E, epochs); equal to E when E already is `epochs`
  double probe_seconds = 0, long_probe_seconds = 0;  // their training seconds (wall clock)
  // The same in CPU seconds of the training thread: what the budget costs on a core of its own,
  // whatever else the machine runs meanwhile (the whole cost with one intra-op thread).
  double probe_cpu_seconds = 0, long_probe_cpu_seconds = 0;
  std::int64_t probe_validations = 0;  // validations each probe made (the same in both)

  enum class Clock { wall, cpu };
  double seconds_per_epoch(Clock clock = Clock::wall) const;
  // The rest of the short probe, per validation: a validation rollout and the setup.
  double seconds_per_validation(Clock clock = Clock::wall) const;
  double projected_seconds(Clock clock = Clock::wall) const;

 private:
  std::pair<double, double> probes(Clock clock) const;  // (short, long) probe seconds
};

// Probes, model after model, on the calling thread (with its intra-op threads), so that each is
// timed alone: the suite's models, then every distinct model of its tuned learned optimizers'
// trials. Models whose budget trains no epochs are left out.
std::vector<TrainingEstimate> estimate_training(const Suite& suite, const Placement& placement,
                                                std::int64_t probe_epochs);

}  // namespace l2o::harness
