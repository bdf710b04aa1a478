#include "harness/cells.hpp"

#include <cctype>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/seed.hpp"
#include "harness/tuning.hpp"

namespace l2o::harness {

namespace {

std::string file_safe(std::string_view label) {
  std::string out(label);
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return out;
}

}  // namespace

// The hash covers everything that changes a cell's numbers, and the raw labels (which
// file_safe may map together), so a finished cell is only reused by a run that would compute
// exactly it. The build is not part of it: the runner warns when it reuses another build's cells.
Json cell_key(const Suite& suite, const ProblemSpec& p, const OptimizerSpec& o, std::int64_t rep) {
  Json key = {
      {"labels", {p.label, o.label}},
      {"family", p.family},
      {"problem", p.config},
      {"optimizer", o.name},
      {"config", keyed_by_content(o.config)},
      {"training", o.training},
      {"train_on",
       o.train_on ? Json{{"family", o.train_on->family}, {"config", o.train_on->config}} : Json()},
      {"repetition", rep},
      {"seed", suite.seed},
      {"steps", suite.steps},
      {"instances", suite.test_instances},
      {"dtype", dtype_name(suite.dtype)}};
  // Added only when they are not the defaults, so that the ids of suites without scenarios,
  // with the default target or without tuning stay what they were (committed baselines are
  // matched by id).
  if (!p.scenario.identity()) key["scenario"] = p.scenario.to_json();
  if (suite.target != 1e-3) key["target"] = suite.target;
  if (o.tuning) {
    Json trials = Json::array();
    for (const Tuning::Trial& trial : o.tuning->trials)
      trials.push_back({{"config", keyed_by_content(trial.config)}, {"training", trial.training}});
    key["tuning"] = {{"objective", to_string(o.tuning->objective)}, {"trials", std::move(trials)}};
  }
  return key;
}

std::string cell_name(std::string_view problem, std::string_view optimizer, std::string_view tag,
                      const Json& key) {
  auto hash = static_cast<std::uint32_t>(hash_string(key.dump()));
  return fmt::format("{}.{}.{}.{:08x}", file_safe(problem), file_safe(optimizer), tag, hash);
}

Json keyed_by_content(const Json& config) {
  if (!config.is_object()) return config;
  Json keyed = Json::object();
  for (const auto& [field, value] : config.items()) {
    keyed[field] = keyed_by_content(value);  // a composition's parts hold their own files
    const bool names_a_file = field == "weights_file" || field == "module";
    if (!names_a_file || !value.is_string() || value.get<std::string>().empty()) continue;
    const std::filesystem::path file = value.get<std::string>();
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec))
      keyed[field + "_sha256"] = file_sha256_hex(file);
  }
  return keyed;
}

std::vector<Cell> expand(const Suite& suite) {
  std::vector<Cell> cells;
  for (std::size_t p = 0; p < suite.problems.size(); ++p)
    for (std::int64_t r = 0; r < suite.repetitions; ++r)
      for (std::size_t o = 0; o < suite.optimizers.size(); ++o)
        if (suite.optimizers[o].runs_on(suite.problems[p]))
          cells.push_back(
              {cells.size(),
               cell_name(suite.problems[p].label, suite.optimizers[o].label, fmt::format("r{}", r),
                         cell_key(suite, suite.problems[p], suite.optimizers[o], r)),
               p, o, r});
  return cells;
}

Shard Shard::parse(const std::string& text) {
  Shard s;
  auto slash = text.find('/');
  auto number = [&](std::string_view part, std::int64_t& out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size();
  };
  bool ok = slash != std::string::npos &&
            number(std::string_view(text).substr(0, slash), s.index) &&
            number(std::string_view(text).substr(slash + 1), s.count) && s.count >= 1 &&
            s.index >= 0 && s.index < s.count;
  if (!ok)
    throw InputError(
        fmt::format("--shard: expected i/N with 0 <= i < N (e.g. 0/4), got \"{}\"", text));
  return s;
}

std::vector<Cell> select_shard(const std::vector<Cell>& cells, const Shard& shard) {
  std::vector<Cell> out;
  for (const Cell& c : cells)
    if (static_cast<std::int64_t>(c.index) % shard.count == shard.index) out.push_back(c);
  return out;
}

InstanceSeeds instance_seeds(const Suite& suite, const ProblemSpec& problem, std::string_view split,
                             std::int64_t repetition) {
  const std::string config = problem.config.dump(), rep = fmt::format("rep{}", repetition);
  return {derive_seed(suite.seed, {problem.family, config, split, rep, "instances"}),
          derive_seed(suite.seed, {problem.family, config, split, rep, "initial-points"})};
}

}  // namespace l2o::harness
