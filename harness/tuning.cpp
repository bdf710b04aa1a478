#include "harness/tuning.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/seed.hpp"

namespace l2o::harness {

namespace {

// More trials than this is a typo rather than a budget (each is a rollout per problem).
constexpr std::int64_t max_trials = 1000;

constexpr std::string_view distributions =
    R"({"grid": [values...]}, {"uniform": [lo, hi]} or {"log_uniform": [lo, hi]} (0 < lo < hi))";

enum class Distribution { grid, uniform, log_uniform };

struct Parameter {
  std::string name;  // "lr", or "train.lr" for a training field
  Distribution distribution = Distribution::grid;
  std::vector<Json> values;  // a grid's
  double lo = 0, hi = 0;     // a range's
  bool integer = false;      // the field holds an integer: a range's draws are rounded

  Json draw(double u) const {
    if (distribution == Distribution::grid)
      return values[std::min(values.size() - 1, static_cast<std::size_t>(u * values.size()))];
    const double x = distribution == Distribution::uniform
                         ? lo + u * (hi - lo)
                         : std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
    return integer ? Json(static_cast<std::int64_t>(std::llround(x))) : Json(x);
  }
};

// Uniform doubles in [0, 1) from a seed: a counter through the splitmix64 mixer, the same on
// every platform (std::uniform_real_distribution is not).
class UniformStream {
 public:
  explicit UniformStream(std::uint64_t seed) : seed_(seed) {}
  double next() { return double(mix64(seed_ ^ mix64(counter_++)) >> 11) * 0x1p-53; }

 private:
  std::uint64_t seed_, counter_ = 0;
};

// The field a parameter names: its current (canonical) value, or an InputError naming the
// allowed ones.
const Json& tuned_field(const std::string& name, const Json& config, const Json& training,
                        const std::string& at) {
  auto allowed = [](const Json& fields, std::string_view prefix) {
    std::string list;
    for (const auto& [field, value] : fields.items())
      list += fmt::format("{}{}{}", list.empty() ? "" : ", ", prefix, field);
    return list;
  };
  if (name.starts_with(training_field_prefix)) {
    if (!training.is_object())
      throw InputError(fmt::format(
          "{}: tunes a training field, but this optimizer is not learned (it has no training "
          "config); allowed: {}",
          at, allowed(config, "")));
    const std::string field = name.substr(training_field_prefix.size());
    if (!training.contains(field))
      throw InputError(fmt::format("{}: not a field of the training config; allowed: {}", at,
                                   allowed(training, training_field_prefix)));
    return training[field];
  }
  if (!config.contains(name))
    throw InputError(fmt::format(
        "{}: not a field of the optimizer's config; allowed: {}{}, and \"trials\", \"objective\"",
        at, allowed(config, ""),
        training.is_object() ? ", " + allowed(training, training_field_prefix) : ""));
  return config[name];
}

Parameter parse_parameter(const std::string& name, const Json& space, const Json& field,
                          const std::string& at) {
  Parameter p{.name = name, .integer = field.is_number_integer()};
  if (!space.is_object() || space.size() != 1)
    throw InputError(fmt::format("{}: expected {}, got {}", at, distributions, space.dump()));
  const std::string kind = space.begin().key();
  const Json& value = space.begin().value();
  if (kind == "grid") {
    if (!value.is_array() || value.empty())
      throw InputError(
          fmt::format("{}.grid: expected a non-empty array of values, got {}", at, value.dump()));
    p.values = value.get<std::vector<Json>>();
    return p;
  }
  if (kind != "uniform" && kind != "log_uniform")
    throw InputError(
        fmt::format("{}.{}: unknown kind of search space; expected {}", at, kind, distributions));
  p.distribution = kind == "uniform" ? Distribution::uniform : Distribution::log_uniform;
  const bool numbers = value.is_array() && value.size() == 2 && value[0].is_number() &&
                       value[1].is_number() && std::isfinite(value[0].get<double>()) &&
                       std::isfinite(value[1].get<double>());
  if (numbers) {
    p.lo = value[0].get<double>();
    p.hi = value[1].get<double>();
  }
  const bool positive = p.distribution == Distribution::uniform || p.lo > 0;
  if (!numbers || !(p.lo < p.hi) || !positive)
    throw InputError(
        fmt::format("{}.{}: expected [lo, hi], finite numbers with {}lo < hi, got {}", at, kind,
                    p.distribution == Distribution::log_uniform ? "0 < " : "", value.dump()));
  if (!field.is_number())
    throw InputError(
        fmt::format("{}.{}: the field holds {}, not a number; give its values as a \"grid\"", at,
                    kind, field.dump()));
  return p;
}

TuneObjective parse_objective(const Json& tune, const std::string& at) {
  auto it = tune.find("objective");
  if (it == tune.end()) return TuneObjective::final_loss;
  for (TuneObjective o : {TuneObjective::final_loss, TuneObjective::tail_loss, TuneObjective::auc,
                          TuneObjective::iterations_to_target})
    if (it->is_string() && *it == to_string(o)) return o;
  throw InputError(
      fmt::format("{}.objective: expected one of: {}, got {}", at, tune_objectives, it->dump()));
}

std::optional<std::int64_t> parse_trial_count(const Json& tune, const std::string& at) {
  auto it = tune.find("trials");
  if (it == tune.end()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
      it->get<std::int64_t>() > max_trials)
    throw InputError(fmt::format("{}.trials: expected an integer in [1, {}], got {}", at,
                                 max_trials, it->dump()));
  return it->get<std::int64_t>();
}

// The grid point with the given index of the product of `parameters` (the last one fastest).
Json grid_point(const std::vector<Parameter>& parameters, std::int64_t index) {
  Json point = Json::object();
  for (auto p = parameters.rbegin(); p != parameters.rend(); ++p) {
    const auto n = static_cast<std::int64_t>(p->values.size());
    point[p->name] = p->values[static_cast<std::size_t>(index % n)];
    index /= n;
  }
  return point;
}

}  // namespace

std::string_view to_string(TuneObjective objective) {
  switch (objective) {
    case TuneObjective::final_loss:
      return "final_loss";
    case TuneObjective::tail_loss:
      return "tail_loss";
    case TuneObjective::auc:
      return "auc";
    case TuneObjective::iterations_to_target:
      return "iterations_to_target";
  }
  return "?";
}

TuneDraws draw_tune_trials(const Json& tune, const Json& config, const Json& training,
                           std::uint64_t seed, const std::string& at) {
  if (!tune.is_object())
    throw InputError(fmt::format(
        "{}: expected an object {{\"<field>\": {}, ..., \"trials\": n, \"objective\": one of {}}}, "
        "got {}",
        at, distributions, tune_objectives, tune.dump()));
  TuneDraws draws{.objective = parse_objective(tune, at)};
  const std::optional<std::int64_t> trials = parse_trial_count(tune, at);
  std::vector<Parameter> parameters;
  for (const auto& [name, space] : tune.items()) {
    if (name == "trials" || name == "objective") continue;
    const std::string at_name = at + "." + name;
    const Parameter& p = parameters.emplace_back(
        parse_parameter(name, space, tuned_field(name, config, training, at_name), at_name));
    if (p.distribution == Distribution::grid) {
      for (std::size_t i = 0; i < p.values.size(); ++i)
        draws.bounds.emplace_back(fmt::format("{}.grid[{}]", at_name, i),
                                  Json{{name, p.values[i]}});
    } else {
      const std::string kind = p.distribution == Distribution::uniform ? "uniform" : "log_uniform";
      draws.bounds.emplace_back(fmt::format("{}.{}[0]", at_name, kind), Json{{name, p.draw(0)}});
      draws.bounds.emplace_back(fmt::format("{}.{}[1]", at_name, kind),
                                Json{{name, p.integer ? Json(std::llround(p.hi)) : Json(p.hi)}});
    }
  }
  if (parameters.empty())
    throw InputError(fmt::format(
        "{}: names no field to tune; expected at least one \"<field>\": {}", at, distributions));

  const bool all_grids = std::all_of(parameters.begin(), parameters.end(), [](const Parameter& p) {
    return p.distribution == Distribution::grid;
  });
  UniformStream u(seed);
  if (!all_grids) {
    if (!trials)
      throw InputError(fmt::format(
          "{}.trials: missing; a search space with a uniform or log_uniform range needs the "
          "number of trials to draw (an integer in [1, {}])",
          at, max_trials));
    for (std::int64_t k = 0; k < *trials; ++k) {
      Json point = Json::object();
      for (const Parameter& p : parameters) point[p.name] = p.draw(u.next());
      draws.overrides.push_back(std::move(point));
    }
    return draws;
  }
  std::int64_t points = 1;  // of the product, saturating at max_trials + 1
  for (const Parameter& p : parameters)
    points = std::min(points * static_cast<std::int64_t>(p.values.size()), max_trials + 1);
  if (!trials && points > max_trials)
    throw InputError(fmt::format(
        "{}: the grids' product has more than {} points; give \"trials\" to sample that many", at,
        max_trials));
  if (trials && *trials > points)
    throw InputError(fmt::format(
        "{}.trials: {} is more than the {} points of the grids' product; at most {}, or leave "
        "\"trials\" out to run every point",
        at, *trials, points, points));
  if (!trials || *trials == points) {
    for (std::int64_t k = 0; k < points; ++k) draws.overrides.push_back(grid_point(parameters, k));
    return draws;
  }
  // Fewer trials than points: distinct points, drawn in order (the product may be huge, the
  // trials are few).
  std::int64_t product = 1;
  for (const Parameter& p : parameters) product *= static_cast<std::int64_t>(p.values.size());
  std::set<std::int64_t> drawn;
  while (std::ssize(drawn) < *trials) {
    const auto index = std::min(product - 1, static_cast<std::int64_t>(u.next() * double(product)));
    if (drawn.insert(index).second) draws.overrides.push_back(grid_point(parameters, index));
  }
  return draws;
}

ProblemSpec validation_problem(const ProblemSpec& problem) {
  ProblemSpec out = problem;
  out.label = problem.base_label();
  out.scenario = Scenario{};
  return out;
}

std::vector<Cell> expand_trials(const Suite& suite) {
  std::vector<Cell> cells;
  std::set<std::string> seen;  // (family, config) of the problems whose trials are listed
  for (std::size_t p = 0; p < suite.problems.size(); ++p) {
    const ProblemSpec& problem = suite.problems[p];
    if (!seen.insert(problem.family + problem.config.dump()).second) continue;
    const ProblemSpec base = validation_problem(problem);
    for (std::size_t o = 0; o < suite.optimizers.size(); ++o) {
      const OptimizerSpec& tuned = suite.optimizers[o];
      if (!tuned.tuning || !tuned.runs_on(problem)) continue;
      for (std::size_t k = 0; k < tuned.tuning->trials.size(); ++k) {
        Json key = cell_key(suite, base, trial_optimizer(tuned, k), 0);
        key["split"] = "validation";
        key["target"] = suite.target;  // iterations_to_target scores with it
        cells.push_back({.index = cells.size(),
                         .id = cell_name(base.label, tuned.label, fmt::format("t{}", k), key),
                         .problem = p,
                         .optimizer = o,
                         .repetition = 0,
                         .trial = k});
      }
    }
  }
  return cells;
}

std::vector<Cell> trials_of(const Suite& suite, const std::vector<Cell>& trials, const Cell& test) {
  const ProblemSpec& problem = suite.problems[test.problem];
  std::vector<Cell> out;
  for (const Cell& trial : trials) {
    const ProblemSpec& tuned_on = suite.problems[trial.problem];
    if (trial.optimizer == test.optimizer && tuned_on.family == problem.family &&
        tuned_on.config == problem.config)
      out.push_back(trial);
  }
  return out;
}

OptimizerSpec trial_optimizer(const OptimizerSpec& tuned, std::size_t trial) {
  OptimizerSpec out = tuned;
  out.config = tuned.tuning->trials.at(trial).config;
  out.training = tuned.tuning->trials.at(trial).training;
  out.tuning.reset();
  return out;
}

std::optional<double> validation_score(TuneObjective objective, const CellRecord& trial) {
  switch (objective) {
    case TuneObjective::final_loss:
      return trial.eval.final.number(final_metric::loss_mean);
    case TuneObjective::tail_loss:
    case TuneObjective::auc: {
      // auc: the area under the mean-loss curve per step, its mean over steps 0..T; tail_loss:
      // the mean over the last tenth of steps 1..T (at least the last step).
      const Json& mean = trial.eval.series.at("loss").at("mean");
      const auto steps = static_cast<std::int64_t>(mean.size()) - 1;
      const std::int64_t first =
          objective == TuneObjective::auc ? 0 : steps - std::max<std::int64_t>(1, steps / 10) + 1;
      double sum = 0;
      for (std::int64_t k = first; k <= steps; ++k) {
        const Json& value = mean[static_cast<std::size_t>(k)];
        if (!value.is_number() || !std::isfinite(value.get<double>())) return std::nullopt;
        sum += value.get<double>();
      }
      return sum / double(steps - first + 1);
    }
    case TuneObjective::iterations_to_target:
      if (!trial.eval.has_to_target())
        throw InputError(fmt::format(
            "tuning objective iterations_to_target on problem \"{}\": its family has no reference "
            "solver (f* unknown); use final_loss or auc",
            trial.problem.label));
      return trial.eval.final.number(final_metric::iterations_to_target_median);
  }
  return std::nullopt;
}

std::size_t pick_trial(TuneObjective objective, const std::vector<CellRecord>& trials) {
  constexpr double worst = std::numeric_limits<double>::infinity();
  auto rank = [&](std::size_t k) {
    return std::tuple(validation_score(objective, trials[k]).value_or(worst),
                      trials[k].eval.final.number(final_metric::loss_mean).value_or(worst), k);
  };
  std::size_t best = 0;
  for (std::size_t k = 1; k < trials.size(); ++k)
    if (rank(k) < rank(best)) best = k;
  return best;
}

Json tuning_record(const OptimizerSpec& tuned, const std::vector<CellRecord>& trials) {
  Json space = tuned.tuning->spec;
  space.erase("trials");
  space.erase("objective");
  bool tunes_training = false;
  for (const auto& [name, values] : space.items())
    tunes_training = tunes_training || name.starts_with(training_field_prefix);
  Json list = Json::array();
  for (std::size_t k = 0; k < trials.size(); ++k) {
    const std::optional<double> score = validation_score(tuned.tuning->objective, trials[k]);
    Json entry = {{"config", trials[k].optimizer.config},
                  {"validation", score ? Json(*score) : Json()},
                  {"cell", trials[k].id}};
    if (tunes_training) entry["train"] = tuned.tuning->trials.at(k).training;
    list.push_back(std::move(entry));
  }
  return {{"objective", to_string(tuned.tuning->objective)},
          {"space", std::move(space)},
          {"trials", std::move(list)},
          {"pick", pick_trial(tuned.tuning->objective, trials)}};
}

}  // namespace l2o::harness
