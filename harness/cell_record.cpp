#include "harness/cell_record.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/error.hpp"

namespace l2o::harness {

namespace {

// The keys of "eval" that are not series; everything else in it is kept as series.
constexpr const char* scalar_eval_keys[] = {
    "instances",   "steps", "seconds_per_step", "rollout_seconds", "reference_seconds",
    "f_star_mean", "final"};

[[noreturn]] void missing(const std::string& where, const std::string& field,
                          const std::string& expected) {
  throw InputError(fmt::format("{}.{}: expected {}", where, field, expected));
}

const Json& object_at(const Json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) missing(where, key, "an object");
  return *it;
}

std::string string_at(const Json& j, const char* key, const std::string& where, bool required) {
  auto it = j.find(key);
  if (it == j.end() && !required) return {};
  if (it == j.end() || !it->is_string()) missing(where, key, "a string");
  return it->get<std::string>();
}

template <class T>
std::optional<T> number_at(const Json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) missing(where, key, "a number");
  return it->get<T>();
}

Json value_or_null(const Json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? Json() : *it;
}

template <class T>
void put(Json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

void put(Json& j, const char* key, const Json& value) {
  if (!value.is_null()) j[key] = value;
}

Evaluation evaluation_from_json(const Json& j, const std::string& where) {
  Evaluation e;
  e.instances = number_at<std::int64_t>(j, "instances", where);
  e.steps = number_at<std::int64_t>(j, "steps", where);
  e.seconds_per_step = number_at<double>(j, "seconds_per_step", where);
  e.rollout_seconds = number_at<double>(j, "rollout_seconds", where);
  e.reference_seconds = number_at<double>(j, "reference_seconds", where);
  e.f_star_mean = number_at<double>(j, "f_star_mean", where);
  e.final = FinalMetrics(object_at(j, "final", where));
  e.series = j;
  for (const char* key : scalar_eval_keys) e.series.erase(key);
  return e;
}

Json evaluation_to_json(const Evaluation& e) {
  Json j = e.series.is_object() ? e.series : Json::object();
  put(j, "instances", e.instances);
  put(j, "steps", e.steps);
  put(j, "seconds_per_step", e.seconds_per_step);
  put(j, "rollout_seconds", e.rollout_seconds);
  put(j, "reference_seconds", e.reference_seconds);
  put(j, "f_star_mean", e.f_star_mean);
  j["final"] = e.final.json();
  return j;
}

}  // namespace

FinalMetrics::FinalMetrics() : values_(Json::object()) {}

FinalMetrics::FinalMetrics(Json values) : values_(std::move(values)) {}

bool FinalMetrics::contains(std::string_view name) const {
  return values_.contains(name);
}

std::optional<double> FinalMetrics::number(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || !it->is_number() || !std::isfinite(it->get<double>()))
    return std::nullopt;
  return it->get<double>();
}

bool Evaluation::has_to_target() const {
  return series.contains("to_target") || final.contains(final_metric::iterations_to_target_median);
}

std::vector<std::string> Evaluation::extra_names() const {
  std::vector<std::string> names;
  if (auto it = series.find("extra"); it != series.end() && it->is_object())
    for (const auto& [name, values] : it->items()) names.push_back(name);
  return names;
}

CellRecord CellRecord::summarized() const {
  CellRecord out = *this;
  out.eval.series = Json::object();
  if (out.train.is_object())
    for (const char* key : {"meta_loss", "validation"}) out.train.erase(key);
  return out;
}

Json CellRecord::to_json() const {
  Json j = {{"repetition", repetition}};
  if (!id.empty()) j["id"] = id;
  put(j, "index", index);
  Json p = {{"label", problem.label}};
  if (!problem.family.empty()) p["family"] = problem.family;
  put(p, "config", problem.config);
  put(p, "scenario", problem.scenario);
  j["problem"] = std::move(p);
  Json o = {{"label", optimizer.label}};
  if (!optimizer.name.empty()) o["name"] = optimizer.name;
  put(o, "config", optimizer.config);
  j["optimizer"] = std::move(o);
  put(j, "seeds", seeds);
  j["eval"] = evaluation_to_json(eval);
  put(j, "train", train);
  put(j, "tuning", tuning);
  put(j, "context", context);
  j["digest"] = json_digest(j);
  return j;
}

CellRecord CellRecord::from_json(const Json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a cell object", where));
  if (auto digest = j.find("digest"); digest != j.end()) {
    if (!digest->is_string() || *digest != json_digest(j))
      throw InputError(fmt::format(
          "{}.digest: does not match the cell's content (edited or damaged since it was written)",
          where));
  }
  CellRecord c;
  c.id = string_at(j, "id", where, false);
  c.index = number_at<std::size_t>(j, "index", where);
  c.repetition = number_at<std::int64_t>(j, "repetition", where).value_or(0);
  const Json& p = object_at(j, "problem", where);
  c.problem = {string_at(p, "label", where + ".problem", true),
               string_at(p, "family", where + ".problem", false), value_or_null(p, "config"),
               value_or_null(p, "scenario")};
  const Json& o = object_at(j, "optimizer", where);
  c.optimizer = {string_at(o, "label", where + ".optimizer", true),
                 string_at(o, "name", where + ".optimizer", false), value_or_null(o, "config")};
  c.seeds = value_or_null(j, "seeds");
  c.eval = evaluation_from_json(object_at(j, "eval", where), where + ".eval");
  c.train = value_or_null(j, "train");
  c.tuning = value_or_null(j, "tuning");
  c.context = value_or_null(j, "context");
  return c;
}

}  // namespace l2o::harness
