#pragma once
// Configs are plain structs that list their fields once, in a `fields(visitor)` member:
//
//   struct Config {
//     double lr = 0.01;
//     template <class Visitor> void fields(Visitor& v) {
//       v.field("lr", lr, "step size", greater_than(0));
//     }
//   };
//
// The same list parses and validates JSON (ConfigReader), writes the canonical JSON with every
// default filled in but those of fields declared keyed_only_when_set (ConfigWriter) and describes
// the fields for `l2obench list` (ConfigDescriber).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_fwd.hpp"

namespace l2o {

// What a field's value may be: numeric bounds, or a closed set of strings.
struct Constraint {
  std::optional<double> min, max;
  bool min_exclusive = false, max_exclusive = false;
  std::vector<std::string> choices;
  // Where set, the canonical JSON leaves the field out while it holds this value (see
  // keyed_only_when_set).
  std::optional<Json> omitted_at;

  bool admits(double v) const;
  bool admits(const std::string& v) const;
  std::string describe() const;  // e.g. "> 0", "in [0, 1)", "one of: a, b"
};

inline Constraint at_least(double v) {
  Constraint c;
  c.min = v;
  return c;
}
inline Constraint greater_than(double v) {
  Constraint c = at_least(v);
  c.min_exclusive = true;
  return c;
}
inline Constraint between(double lo, double hi) {
  Constraint c = at_least(lo);
  c.max = hi;
  return c;
}
inline Constraint half_open_unit_interval() {
  Constraint c = between(0.0, 1.0);
  c.max_exclusive = true;
  return c;
}
inline Constraint one_of(std::initializer_list<std::string> choices) {
  Constraint c;
  c.choices = choices;
  return c;
}

// For a field added after checkpoints and shipped models were keyed by their canonical configs:
// the field is written only when it differs from `default_value`, so those keys stay valid.
// `default_value` must be the struct's own default (describe_config checks). Suites may tune such
// a field of an optimizer's config (harness/suite.cpp fills it in); no TrainConfig field uses it.
inline Constraint keyed_only_when_set(Constraint c, Json default_value) {
  c.omitted_at = std::move(default_value);
  return c;
}

// Reads fields from a JSON object; `where` prefixes every message ("suite.json: problems[1]").
class ConfigReader {
 public:
  ConfigReader(const Json& object, std::string where);

  void field(std::string_view name, std::int64_t& value, std::string_view doc,
             const Constraint& c = {});
  void field(std::string_view name, double& value, std::string_view doc, const Constraint& c = {});
  void field(std::string_view name, bool& value, std::string_view doc, const Constraint& c = {});
  void field(std::string_view name, std::string& value, std::string_view doc,
             const Constraint& c = {});
  // A nested JSON object (another component's config, checked by that component).
  void field(std::string_view name, Json& value, std::string_view doc, const Constraint& c = {});

  // Rejects keys that are neither fields nor `reserved` (keys the caller handles itself).
  void reject_unknown(std::initializer_list<std::string_view> reserved) const;

 private:
  const Json* find(std::string_view name);
  [[noreturn]] void fail(std::string_view name, std::string_view expected, const Json& got) const;

  const Json& object_;
  std::string where_;
  std::vector<std::string> known_;
};

class ConfigWriter {
 public:
  template <class T>
  void field(std::string_view name, const T& value, std::string_view, const Constraint& c = {}) {
    Json written = value;
    if (c.omitted_at && written == *c.omitted_at) return;
    out[std::string(name)] = std::move(written);
  }
  Json out = Json::object();
};

class ConfigDescriber {
 public:
  void field(std::string_view name, const std::int64_t& value, std::string_view doc,
             const Constraint& c = {});
  void field(std::string_view name, const double& value, std::string_view doc,
             const Constraint& c = {});
  void field(std::string_view name, const bool& value, std::string_view doc,
             const Constraint& c = {});
  void field(std::string_view name, const std::string& value, std::string_view doc,
             const Constraint& c = {});
  void field(std::string_view name, const Json& value, std::string_view doc,
             const Constraint& c = {});
  Json out = Json::array();

 private:
  void add(std::string_view name, std::string_view type, Json value, std::string_view doc,
           const Constraint& c);
};

// Every config type has a `fields` member template; `validate()` is optional and checks
// relations between fields (throwing InputError with the given prefix).
template <class C>
concept Config = std::default_initializable<C> && std::copyable<C> &&
    requires(C c, ConfigWriter& w) {
  c.fields(w);
};

template <Config C>
C parse_config(const Json& object, const std::string& where,
               std::initializer_list<std::string_view> reserved = {}) {
  C config;
  ConfigReader reader(object, where);
  config.fields(reader);
  reader.reject_unknown(reserved);
  if constexpr (requires { config.validate(where); }) config.validate(where);
  return config;
}

template <Config C>
Json config_to_json(C config) {
  ConfigWriter writer;
  config.fields(writer);
  return std::move(writer.out);
}

// parse_config then config_to_json: a config object with every default filled in (but those
// keyed_only_when_set leaves out). A plain
// function, so that registries can point at it.
template <Config C>
Json canonical_config(const Json& object, const std::string& where) {
  return config_to_json(parse_config<C>(object, where));
}

template <Config C>
Json describe_config() {
  C config;
  ConfigDescriber describer;
  config.fields(describer);
  return std::move(describer.out);
}

}  // namespace l2o
