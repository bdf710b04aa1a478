#pragma once
// The meta-training loop shared by every learned optimizer: truncated backpropagation through
// time over rollouts on batches of training instances, Adam on the network weights, gradient
// clipping, and periodic validation on a held-out split with the best weights kept.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/json_fwd.hpp"
#include "core/threads.hpp"
#include "learned/resume.hpp"
#include "problems/family.hpp"

namespace torch::optim {
class Optimizer;
}

namespace l2o::learned {

class LearnedOptimizer;

// Training budgets: `paper` is the reference budget of the method's paper (often hours here),
// `quick` one that finishes in minutes on 2 cores.
enum class TrainProfile { quick, paper };
TrainProfile parse_train_profile(const std::string& name, const std::string& where);

// How a segment's losses make its meta-loss (TrainConfig::meta_loss).
enum class MetaLoss { sum, mean };

struct TrainConfig {
  std::int64_t epochs = 300;
  std::int64_t batch = 128;
  std::int64_t steps = 100;
  std::int64_t unroll = 20;
  double lr = 1e-3;
  double lr_decay = 1.0;
  std::int64_t lr_decay_every = 0;
  std::string meta_loss = "sum";
  double clip = 1.0;
  std::int64_t validate_every = 25;
  std::int64_t validation_instances = 128;
  double coordinate_scaling = 0.0;

  template <class Visitor>
  void fields(Visitor& v) {
    v.field("epochs", epochs, "training batches, each unrolled for `steps` steps (0: untrained)",
            at_least(0));
    v.field("batch", batch, "training instances per epoch", at_least(1));
    v.field("steps", steps, "optimizer steps per epoch", at_least(1));
    v.field("unroll", unroll, "steps per truncated-BPTT segment", at_least(1));
    v.field("lr", lr, "Adam learning rate of the meta-optimizer", greater_than(0));
    v.field("lr_decay", lr_decay, "factor applied to lr every lr_decay_every epochs",
            greater_than(0));
    v.field("lr_decay_every", lr_decay_every, "epochs between lr decays (0: never)", at_least(0));
    v.field("meta_loss", meta_loss, "f summed or averaged over a segment", one_of({"sum", "mean"}));
    v.field("clip", clip, "max global norm of the meta-gradient (0: no clipping)", at_least(0));
    v.field("validate_every", validate_every, "epochs between validations", at_least(1));
    v.field("validation_instances", validation_instances, "held-out validation instances",
            at_least(1));
    v.field("coordinate_scaling", coordinate_scaling,
            "train on f(s*x) with log s ~ U(-c, c) per coordinate (0: off; RNNProp: 3)",
            at_least(0));
  }
  void validate(const std::string& where) const;
  MetaLoss meta_loss_kind() const { return meta_loss == "mean" ? MetaLoss::mean : MetaLoss::sum; }
};

struct TrainResult {
  double seconds = 0;  // wall clock
  // CPU time of the thread that trained (with one intra-op thread the training's whole cost;
  // pauses and waiting for a core do not count, contention for caches still slows it); NaN
  // where unknown (a checkpoint or resume file written before it was recorded).
  double cpu_seconds = 0;
  std::int64_t epochs = 0;
  std::vector<double> meta_loss;                            // per epoch, mean over its segments
  std::vector<std::pair<std::int64_t, double>> validation;  // (epoch, mean f over the rollout)
  std::int64_t best_epoch = 0;
  double best_validation = 0;
  std::int64_t skipped_segments = 0;  // non-finite meta-loss: no update

  Json to_json() const;
  static TrainResult from_json(const Json& j);
};

struct TrainProgress {
  std::int64_t epoch = 0, epochs = 0;
  double meta_loss = 0, validation = 0, best_validation = 0, elapsed = 0;
};
using ProgressFn = std::function<void(const TrainProgress&)>;

// The training problem: a family with its canonical config, the root seed of the stream of
// training batches (one fresh batch per epoch) and the seeds of the fixed validation instances
// and their starting points (the harness's "validation" split), and where the training keeps its
// resume file (none by default).
struct TrainingProblem {
  const problems::FamilyEntry* family = nullptr;
  Json config;
  std::uint64_t train_stream = 0;
  std::uint64_t validation_instances = 1, validation_initial_points = 2;
  ResumePolicy resume;
};

// Trains `model` in place (its weights end as the best validated ones) in the given placement.
TrainResult meta_train(LearnedOptimizer& model, const TrainingProblem& problem,
                       const TrainConfig& config, const Placement& placement,
                       const ProgressFn& progress = {});

// Pieces of a training loop that other loops (Diff-L2O's) share with meta_train.

// The meta-optimizer's learning rate in `epoch` (1-based): lr decayed every lr_decay_every.
double learning_rate_at(const TrainConfig& config, std::int64_t epoch);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// The tensors of a weight list (handles sharing storage), in order.
std::vector<Tensor> tensors_of(const std::vector<std::pair<std::string, Tensor>>& weights);

// One meta-update on `loss`: backward, global-norm clip (0: none), step. A non-finite loss gives
// no usable gradient: no update, and false (a diverged segment must not end the training).
bool apply_update(torch::optim::Optimizer& optimizer, std::vector<Tensor>& parameters,
                  const Tensor& loss, double clip);

// Records validations into a TrainResult and keeps a copy of the best weights so far; a NaN
// never becomes the best, and any number replaces a NaN best.
class BestWeights {
 public:
  explicit BestWeights(std::vector<Tensor> parameters) : parameters_(std::move(parameters)) {}
  void offer(std::int64_t epoch, double validation, TrainResult& result);
  void restore() const;  // copies the best weights back into the parameters
  void save(TrainingState& out) const;
  void load(const TrainingState& in);

 private:
  std::vector<Tensor> parameters_, best_;
};

// What every training loop shares: the clock, validations with the best weights kept, progress
// reports and the resume file. A loop calls resume() once (restoring its own state, e.g. the
// meta-optimizer's, from the file), validated() after each validation and end_epoch() after
// each epoch, then finish().
class TrainingSession {
 public:
  using SaveFn = std::function<void(TrainingState&)>;
  using LoadFn = std::function<void(const TrainingState&)>;

  TrainingSession(const TrainConfig& config, const ProgressFn& progress, ResumePolicy resume,
                  std::vector<Tensor> parameters);

  // The first epoch to run: 1, or the one after the resume file's (then the parameters, the
  // best weights, the curves and the loop's state via `load` are those of that epoch).
  std::int64_t resume(const LoadFn& load);
  bool validating(std::int64_t epoch) const;
  void validated(std::int64_t epoch, double validation);
  // Writes the resume file when due (see ResumePolicy); `save` adds the loop's own state.
  void end_epoch(std::int64_t epoch, const SaveFn& save);
  // Restores the best weights and closes the record.
  TrainResult finish();

  TrainResult& result() { return result_; }
  double elapsed() const;      // seconds of training, earlier runs of a resumed one included
  double elapsed_cpu() const;  // the same in CPU seconds of the training thread

 private:
  using Clock = std::chrono::steady_clock;
  const TrainConfig& config_;
  ProgressFn progress_;
  ResumePolicy resume_;
  std::vector<Tensor> parameters_;
  TrainResult result_;
  BestWeights best_;
  Clock::time_point start_ = Clock::now(), last_write_ = start_;
  double earlier_seconds_ = 0;
  double cpu_start_ = thread_cpu_seconds(), earlier_cpu_seconds_ = 0;
};

// Mean of f over steps 1..steps and instances: the validation metric.
double rollout_mean_loss(const LearnedOptimizer& model, const problems::Objective& f,
                         const Tensor& x0, std::int64_t steps);

}  // namespace l2o::learned
