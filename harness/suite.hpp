#pragma once
// A suite file: problems × optimizers × repetitions, evaluated on held-out instances.
//
//   {"name": "smoke", "seed": 1, "steps": 100, "test_instances": 128, "repetitions": 1,
//    "dtype": "float32",
//    "problems":   [{"family": "lasso", "dim": [10, 50]}, {"family": "rastrigin", "dim": 2}],
//    "optimizers": [{"name": "gd", "lr": 0.01}, {"name": "adam", "label": "adam-0.1", "lr": 0.1}]}
//
// A problem's `dim` may be a list: one problem per entry. An optimizer's optional "families"
// list restricts it to problems of those families (proximal methods need a Lipschitz constant,
// which not every family has). A learned optimizer entry may carry "train" (fields of its
// training config over the suite's "train_profile") and "train_on" (a problem object). Every entry
// is validated against its family's or optimizer's config and stored in canonical form (all
// defaults filled in).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json_fwd.hpp"
#include "core/tensor.hpp"

namespace l2o::harness {

struct ProblemSpec {
  std::string label;   // unique within the suite, e.g. "lasso-n10"
  std::string family;  // registry name
  Json config;         // canonical family config
};

struct OptimizerSpec {
  std::string label;                  // unique within the suite, e.g. "adam-0.1"
  std::string name;                   // registry name
  Json config;                        // canonical optimizer config
  std::vector<std::string> families;  // runs only on these families; empty: on every problem
  // Learned optimizers only: the canonical TrainConfig (the suite's profile, overridden by the
  // entry's "train" object) and, if given, the one problem to train on ("train_on"); without
  // it each problem trains its own model on its family's train split.
  bool learned = false;
  Json training;
  std::optional<ProblemSpec> train_on;

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
