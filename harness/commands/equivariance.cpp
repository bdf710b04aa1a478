// `l2obench equivariance`: optimizers on instances and on their permuted, translated and scaled
// twins; the deviation of the mapped-back iterates.
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "harness/commands/command.hpp"
#include "harness/equivariance.hpp"

namespace l2o::cli {

namespace {

struct EquivarianceArguments {
  harness::EquivarianceOptions options;
  std::vector<std::string> problems, optimizers;
  std::string json;
};

int run(EquivarianceArguments& a) {
  if (!a.problems.empty()) {
    a.options.problems = Json::array();
    for (const std::string& p : a.problems)
      a.options.problems.push_back(parse_json_option(p, "--problem"));
  }
  if (!a.optimizers.empty()) {
    a.options.optimizers = Json::array();
    for (const std::string& o : a.optimizers)
      a.options.optimizers.push_back(o.starts_with("{") ? parse_json_option(o, "--optimizer")
                                                        : Json{{"name", o}});
  }
  const auto result = harness::measure_equivariance(a.options, "equivariance");
  std::cout << result.table;
  if (!a.json.empty()) write_json_atomically(a.json, result.json);
  return 0;
}

}  // namespace

Command add_equivariance(CLI::App& app) {
  auto a = std::make_shared<EquivarianceArguments>();
  harness::EquivarianceOptions& o = a->options;
  auto* command = app.add_subcommand(
      "equivariance",
      "run optimizers on instances and on permuted, translated and scaled twins; print the "
      "deviation of the mapped-back iterates");
  command->add_option("--problem", a->problems,
                      "a suite problem entry as JSON (repeatable; default: "
                      "{\"family\": \"logistic\"})");
  command->add_option("--optimizer", a->optimizers,
                      "a name or a suite optimizer entry as JSON (repeatable; default: all)");
  command->add_option("--steps", o.steps, "steps per rollout");
  command->add_option("--instances", o.instances, "test instances");
  command->add_option("--seed", o.seed, "seed of instances and twins");
  command->add_option("--scale", o.scale, "c of g(x) = f(c x)");
  command->add_option("--translation", o.translation, "v ~ this * N(0, I) in g(x) = f(x - v)");
  command->add_option("--tolerance", o.tolerance, "largest relative deviation called equivariant")
      ->check(finite_non_negative);
  command->add_option("--json", a->json, "also write the measurements as JSON")
      ->check(non_empty_path);
  return {command, [a] { return run(*a); }};
}

}  // namespace l2o::cli
