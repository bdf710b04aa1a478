#include "learned/registry.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/registry.hpp"
#include "learned/checkpoint.hpp"
#include "problems/registry.hpp"

namespace l2o::learned {

namespace {

template <class L>
typename L::Config config_of(const Json& canonical) {
  return parse_config<typename L::Config>(canonical, std::string(L::name));
}

struct MakeEntry {
  template <LearnedOptimizerType L>
  LearnedEntry operator()() const {
    return {
        .name = L::name,
        .summary = L::summary,
        .describe = &describe_config<typename L::Config>,
        .canonical = &canonical_config<typename L::Config>,
        .training =
            [](const Json& canonical, TrainProfile profile) {
              return L::training(config_of<L>(canonical), profile);
            },
        .default_training =
            [](TrainProfile profile) { return L::training(typename L::Config{}, profile); },
        .trained_part =
            [](const Json& canonical) {
              if constexpr (requires { L::trained_part(config_of<L>(canonical)); })
                return L::trained_part(config_of<L>(canonical));
              else
                return TrainedPart{std::string(L::name), canonical};
            },
        .make = [](const Json& canonical,
                   std::uint64_t seed) { return L::make(config_of<L>(canonical), seed); },
    };
  }
};

template <class O>
constexpr std::string_view equivariance_variants_of() {
  if constexpr (requires { O::equivariance_variants; })
    return O::equivariance_variants;
  else
    return "[]";
}

struct MakeAnyEntry {
  template <class O>
  AnyOptimizerEntry operator()() const {
    AnyOptimizerEntry entry{.name = O::name,
                            .summary = O::summary,
                            .describe = &describe_config<typename O::Config>,
                            .canonical = &canonical_config<typename O::Config>,
                            .equivariance_variants = equivariance_variants_of<O>()};
    if constexpr (requires { O::needs_a_file; }) entry.needs_a_file = O::needs_a_file;
    if constexpr (LearnedOptimizerType<O>)
      entry.learned = find_learned(O::name);
    else
      entry.make = optimizers::find_optimizer(O::name, "registry").make;
    return entry;
  }
};

}  // namespace

const std::vector<AnyOptimizerEntry>& all_optimizers() {
  static const std::vector<AnyOptimizerEntry> table = build_table<AnyOptimizerEntry>(
      concat_t<optimizers::Optimizers, LearnedOptimizers>{}, MakeAnyEntry{});
  return table;
}

const AnyOptimizerEntry& find_any_optimizer(std::string_view name, const std::string& where) {
  return find_entry(all_optimizers(), name, "optimizer", where);
}

Json AnyOptimizerEntry::training(const Json& canonical, TrainProfile profile,
                                 const Json& suite_entry, const std::string& where) const {
  if (!learned) {
    for (const char* key : training_entry_keys)
      if (suite_entry.contains(key))
        throw InputError(fmt::format(
            "{}.{}: only learned optimizers are trained; \"{}\" is classical", where, key, name));
    return Json();
  }
  // Each block's names, types and ranges are checked on their own (also the other profile's
  // block, so a typo never waits for the run that uses it); relations between fields, on the
  // merged budget.
  for (const char* key : training_budget_keys) {
    auto it = suite_entry.find(key);
    if (it == suite_entry.end()) continue;
    if (!it->is_object())
      throw InputError(fmt::format("{}.{}: expected an object, got {}", where, key, it->dump()));
    TrainConfig fields_only;
    ConfigReader reader(*it, where + "." + key);
    fields_only.fields(reader);
    reader.reject_unknown({});
  }
  const char* profile_key = profile == TrainProfile::paper ? "train_paper" : "train_quick";
  Json training = config_to_json(learned->training(canonical, profile));
  std::string last = "train";
  for (const char* key : {"train", profile_key})
    if (auto it = suite_entry.find(key); it != suite_entry.end()) {
      training.update(*it);
      last = key;
    }
  return config_to_json(parse_config<TrainConfig>(training, where + "." + last));
}

Json AnyOptimizerEntry::to_json() const {
  Json out = {{"name", name},
              {"summary", summary},
              {"learned", learned != nullptr},
              {"fields", describe()}};
  if (learned) {
    out["training"] = {{"fields", describe_config<TrainConfig>()},
                       {"quick", config_to_json(learned->default_training(TrainProfile::quick))},
                       {"paper", config_to_json(learned->default_training(TrainProfile::paper))}};
  }
  return out;
}

namespace {

// A checkpoint key's config is keyed by content ("<field>_sha256" next to each file it names):
// the config itself, after checking that each file still has that content.
Json config_of_key(Json keyed, const std::string& where) {
  if (!keyed.is_object()) return keyed;
  Json config = Json::object();
  for (auto& [field, value] : keyed.items()) {
    if (field.ends_with("_sha256")) continue;
    config[field] = config_of_key(value, where);
    const auto digest = keyed.find(field + "_sha256");
    if (digest == keyed.end() || !value.is_string()) continue;
    const std::string file = value.get<std::string>();
    if (!std::filesystem::is_regular_file(file) || file_sha256_hex(file) != *digest)
      throw InputError(
          fmt::format("{}: the model was trained with {} ({} {}), which is no longer "
                      "there with that content",
                      where, file, field, digest->get<std::string>()));
  }
  return config;
}

}  // namespace

std::unique_ptr<LearnedOptimizer> load_checkpoint_model(const std::filesystem::path& checkpoint) {
  const std::string where = checkpoint.string();
  const Json file = read_json_file(checkpoint);
  const Json key = file.is_object() ? file.value("key", Json()) : Json();
  if (!key.is_object() || !key.value("optimizer", Json()).is_string())
    throw InputError(fmt::format("{}: not an l2obench checkpoint (no \"key\")", where));
  const LearnedEntry* entry = find_learned(key["optimizer"].get<std::string>());
  if (!entry)
    throw InputError(
        fmt::format("{}: unknown learned optimizer {}", where, key["optimizer"].dump()));
  auto model = entry->make(config_of_key(key.at("config"), where), 0);
  model->shape_for(*problems::find_family(key.at("family").get<std::string>(), where)
                        .sample(key.at("problem"), {1, 0, {}}));
  read_weights_file(checkpoint, model->weights());
  return model;
}

Json export_checkpoint_weights(const std::filesystem::path& checkpoint) {
  return flatten_weights(load_checkpoint_model(checkpoint)->weights());
}

const std::vector<LearnedEntry>& learned_optimizers() {
  static const std::vector<LearnedEntry> table =
      build_table<LearnedEntry>(LearnedOptimizers{}, MakeEntry{});
  return table;
}

const LearnedEntry* find_learned(std::string_view name) {
  for (const LearnedEntry& e : learned_optimizers())
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace l2o::learned
