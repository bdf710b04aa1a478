#pragma once
// A suite file: problems × optimizers × repetitions, evaluated on held-out instances.
//
//   {"name": "smoke", "seed": 1, "steps": 100, "test_instances": 128, "repetitions": 1,
//    "dtype": "float32",
//    "problems":   [{"family": "lasso", "dim": [10, 50]}, {"family": "rastrigin", "dim": 2}],
//    "optimizers": [{"name": "gd", "lr": 0.01}, {"name": "adam", "label": "adam-0.1", "lr": 0.1}]}
//
// A problem's `dim` may be a list: one problem per entry. "scenarios" (suite level, or per
// problem to override it) lists out-of-distribution transformations of the test instances,
// {"kind": "objective", "value": [10, -10]} (a value list expands like dim); each becomes a
// problem labelled "<label>/<scenario>" (see Scenario). An optimizer's optional "families"
// list restricts it to problems of those families (proximal methods need a Lipschitz constant,
// which not every family has). A learned optimizer entry may carry "train" (fields of its
// training config over the suite's "train_profile") and "train_on" (a problem object). Any
// optimizer entry may carry "tune", a search space over its fields (harness/tuning.hpp): its
// test cells then run the config that did best on each problem's validation split. Every entry
// is validated against its family's or optimizer's config and stored in canonical form (all
// defaults filled in, but fields keyed only when set, core/config.hpp).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_fwd.hpp"
#include "core/tensor.hpp"

namespace l2o::harness {

// An out-of-distribution transformation of a problem's test instances (GO-Math-L2O's
// scenarios). With v = value:
//   none       the instances as sampled (in distribution)
//   start      x₀ + v·1                                  (the start moves)
//   objective  F(x + v·1), x₀ as drawn                    (the minimiser moves by −v, F* kept)
//   both       F(x + v·1) from x₀ − v·1                   (s = −t: start and minimiser move
//                                                          together, far from the origin)
//   scale      F(v·x), v > 0, x₀ as drawn                 (the data matrix scaled by v; the
//                                                          minimiser at x*/v, F* kept)
// Learned optimizers are trained on the untransformed problem. Every scenario of a problem
// shares its instances, starting points and f*.
enum class ScenarioKind { none, start, objective, both, scale };

// "none", "start", ...: the names suite files use.
std::string_view to_string(ScenarioKind kind);

struct Scenario {
  ScenarioKind kind = ScenarioKind::none;
  double value = 0;

  bool identity() const { return kind == ScenarioKind::none; }
  double start_shift() const;      // s, added to x₀
  double objective_shift() const;  // t in F(c·x + t)
  double scale() const;            // c in F(c·x + t)
  std::string label() const;       // "objective+10", "start-20", "both+50", "scale0.5"; "" for none
  Json to_json() const;            // {"kind", "value"}
};

// The scenario kinds, in the order error messages list them.
inline constexpr std::string_view scenario_kinds = "none, start, objective, both, scale";

struct ProblemSpec {
  std::string label;   // unique within the suite, e.g. "lasso-n10" or "lasso-n10/objective+10"
  std::string family;  // registry name
  Json config;         // canonical family config
  Scenario scenario;   // how the test instances are transformed (none: in distribution)

  // The label without its scenario's suffix: "lasso-n10" for "lasso-n10/objective+10".
  std::string base_label() const;
};

// What a suite entry's "tune" object states (parsed and drawn in harness/tuning.cpp).
// tail_loss averages the last tenth of the steps: on a stochastic objective (the MLP's
// minibatches) the final step's loss is one minibatch's, too noisy to rank trials by.
enum class TuneObjective { final_loss, tail_loss, auc, iterations_to_target };

struct Tuning {
  TuneObjective objective = TuneObjective::final_loss;
  Json spec;  // the entry's "tune" object as written; Suite::to_json writes it back
  struct Trial {
    Json config, training;  // canonical, as OptimizerSpec::config and ::training
  };
  std::vector<Trial> trials;  // drawn deterministically from `spec` and the suite's seed
};

struct OptimizerSpec {
  std::string label;                  // unique within the suite, e.g. "adam-0.1"
  std::string name;                   // registry name
  Json config;                        // canonical optimizer config
  std::vector<std::string> families;  // runs only on these families; empty: on every problem
  // Learned optimizers only (null and empty for a classical one): the canonical TrainConfig (the
  // suite's profile, overridden by the entry's "train" object) and, if given, the one problem to
  // train on ("train_on"); without it each problem trains its own model on its family's train
  // split.
  Json training;
  std::optional<ProblemSpec> train_on;
  // A tuned entry: `config` and `training` are the entry's own (what its trials override); each
  // test cell runs the trial that did best on its problem's validation split.
  std::optional<Tuning> tuning;

  bool runs_on(const ProblemSpec& problem) const;
};

struct Suite {
  std::string name, description;
  std::uint64_t seed = 0;
  std::int64_t steps = 100;
  std::int64_t test_instances = 128;
  std::int64_t repetitions = 1;
  c10::ScalarType dtype = c10::kFloat;
  std::string train_profile = "quick";  // training budgets of learned optimizers: quick or paper
  double target = 1e-3;  // relative gap (f − f*)/|f*| whose first crossing is iterations-to-target
  std::vector<ProblemSpec> problems;
  std::vector<OptimizerSpec> optimizers;

  Json to_json() const;  // the suite as run: canonical, reloadable with parse_suite_json
};

// Reads and validates a suite file; every error names the file and the field.
// `train_profile`, when not empty, replaces the suite's (quick or paper): one suite file serves
// both budgets.
Suite parse_suite_file(const std::filesystem::path& path, const std::string& train_profile = {});
Suite parse_suite_json(const Json& suite, const std::string& where);

}  // namespace l2o::harness
