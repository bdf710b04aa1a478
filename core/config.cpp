#include "core/config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o {

bool Constraint::admits(double v) const {
  if (std::isnan(v)) return false;
  if (min && (min_exclusive ? v <= *min : v < *min)) return false;
  if (max && (max_exclusive ? v >= *max : v > *max)) return false;
  return true;
}

bool Constraint::admits(const std::string& v) const {
  return choices.empty() || std::find(choices.begin(), choices.end(), v) != choices.end();
}

std::string Constraint::describe() const {
  if (!choices.empty()) return fmt::format("one of: {}", fmt::join(choices, ", "));
  if (min && max)
    return fmt::format("in {}{}, {}{}", min_exclusive ? '(' : '[', *min, *max,
                       max_exclusive ? ')' : ']');
  if (min) return fmt::format("{} {}", min_exclusive ? ">" : ">=", *min);
  if (max) return fmt::format("{} {}", max_exclusive ? "<" : "<=", *max);
  return {};
}

namespace {

std::string expectation(std::string_view type, const Constraint& c) {
  std::string d = c.describe();
  return d.empty() ? std::string(type) : fmt::format("{} {}", type, d);
}

}  // namespace

ConfigReader::ConfigReader(const Json& object, std::string where)
    : object_(object), where_(std::move(where)) {
  if (!object_.is_object())
    throw InputError(fmt::format("{}: expected a JSON object, got {}", where_, object_.dump()));
}

const Json* ConfigReader::find(std::string_view name) {
  known_.emplace_back(name);
  auto it = object_.find(std::string(name));
  return it == object_.end() ? nullptr : &*it;
}

void ConfigReader::fail(std::string_view name, std::string_view expected, const Json& got) const {
  throw InputError(fmt::format("{}.{}: expected {}, got {}", where_, name, expected, got.dump()));
}

void ConfigReader::field(std::string_view name, std::int64_t& value, std::string_view,
                         const Constraint& c) {
  const Json* j = find(name);
  if (!j) return;
  // Accept 3 and 3.0, reject 3.5 and "3".
  bool integral = j->is_number_integer() ||
                  (j->is_number_float() && std::trunc(j->get<double>()) == j->get<double>() &&
                   std::abs(j->get<double>()) < 9.0e15);
  if (!integral) fail(name, expectation("an integer", c), *j);
  auto v =
      j->is_number_integer() ? j->get<std::int64_t>() : static_cast<std::int64_t>(j->get<double>());
  if (!c.admits(static_cast<double>(v))) fail(name, expectation("an integer", c), *j);
  value = v;
}

void ConfigReader::field(std::string_view name, double& value, std::string_view,
                         const Constraint& c) {
  const Json* j = find(name);
  if (!j) return;
  if (!j->is_number() || !c.admits(j->get<double>())) fail(name, expectation("a number", c), *j);
  value = j->get<double>();
}

void ConfigReader::field(std::string_view name, bool& value, std::string_view, const Constraint&) {
  const Json* j = find(name);
  if (!j) return;
  if (!j->is_boolean()) fail(name, "true or false", *j);
  value = j->get<bool>();
}

void ConfigReader::field(std::string_view name, std::string& value, std::string_view,
                         const Constraint& c) {
  const Json* j = find(name);
  if (!j) return;
  if (!j->is_string() || !c.admits(j->get<std::string>()))
    fail(name, expectation("a string", c), *j);
  value = j->get<std::string>();
}

void ConfigReader::field(std::string_view name, Json& value, std::string_view, const Constraint&) {
  const Json* j = find(name);
  if (!j) return;
  if (!j->is_object()) fail(name, "a JSON object", *j);
  value = *j;
}

void ConfigReader::reject_unknown(std::initializer_list<std::string_view> reserved) const {
  for (const auto& [key, _] : object_.items()) {
    bool known = std::find(known_.begin(), known_.end(), key) != known_.end() ||
                 std::find(reserved.begin(), reserved.end(), key) != reserved.end();
    if (known) continue;
    std::vector<std::string> allowed(known_.begin(), known_.end());
    allowed.insert(allowed.end(), reserved.begin(), reserved.end());
    throw InputError(fmt::format("{}: unknown field \"{}\"; allowed fields: {}", where_, key,
                                 fmt::join(allowed, ", ")));
  }
}

void ConfigDescriber::add(std::string_view name, std::string_view type, Json value,
                          std::string_view doc, const Constraint& c) {
  // Run on a default-built config: a keyed_only_when_set default that is not the struct's would
  // leave an explicit value out of the key and parse it back as another.
  if (c.omitted_at && *c.omitted_at != value)
    throw std::logic_error(
        fmt::format("config field \"{}\": keyed_only_when_set({}) differs from its default {}",
                    name, c.omitted_at->dump(), value.dump()));
  Json field = {{"name", name}, {"type", type}, {"default", std::move(value)}, {"doc", doc}};
  if (auto d = c.describe(); !d.empty()) field["allowed"] = d;
  out.push_back(std::move(field));
}

void ConfigDescriber::field(std::string_view name, const std::int64_t& value, std::string_view doc,
                            const Constraint& c) {
  add(name, "integer", value, doc, c);
}
void ConfigDescriber::field(std::string_view name, const double& value, std::string_view doc,
                            const Constraint& c) {
  add(name, "number", value, doc, c);
}
void ConfigDescriber::field(std::string_view name, const bool& value, std::string_view doc,
                            const Constraint& c) {
  add(name, "boolean", value, doc, c);
}
void ConfigDescriber::field(std::string_view name, const std::string& value, std::string_view doc,
                            const Constraint& c) {
  add(name, "string", value, doc, c);
}

void ConfigDescriber::field(std::string_view name, const Json& value, std::string_view doc,
                            const Constraint& c) {
  add(name, "object", value, doc, c);
}

}  // namespace l2o
