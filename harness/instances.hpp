#pragma once
// Export of the exact instances and starting points a suite evaluates on, so that other tools
// can run on the same test set, and the import that rebuilds objectives from such a file.
//
//   {"format": "l2obench-instances", "version": 1, "suite": "smoke", "split": "test",
//    "repetition": 0, "dtype": "float32",
//    "problems": [{"label": "lasso-n10", "family": "lasso", "config": {...},
//                  "seeds": {"instances": ..., "initial_points": ...},
//                  "parameters": {"A": [[[...]]], "b": [[...]]},   // batch first
//                  "x0": [[...]], "f_star": [...] or null}]}
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json_fwd.hpp"
#include "harness/suite.hpp"
#include "problems/objective.hpp"

namespace l2o::harness {

struct InstanceExport {
  // "test": what every cell evaluates on; "validation" (repetition 0, count 128 by default):
  // what meta-training validates learned optimizers on.
  std::string split = "test";
  std::int64_t count = 0;  // instances; 0: the suite's test_instances
  std::int64_t repetition = 0;
  std::optional<std::string> problem;  // one problem label; all when empty
  bool with_minimum = true;            // include f* where the family has a reference solver
};

Json export_instances(const Suite& suite, const InstanceExport& what);

struct ImportedProblem {
  std::string label, family;
  Json config;
  std::unique_ptr<problems::Objective> objective;
  Tensor x0;
};

std::vector<ImportedProblem> import_instances(const Json& file, const std::string& where);

}  // namespace l2o::harness
