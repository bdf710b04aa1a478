#pragma once
// The optimizers of the suite, classical and learned, under one entry type (AnyOptimizerEntry):
// the single list of names that suites, the runner, `list` and the tests enumerate. Adding a
// learned optimizer: its file pair, one entry in LearnedOptimizers below, one CMake line, its
// own test (README, "Adding ...").
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "learned/diff_l2o.hpp"
#include "learned/diff_l2o_elementwise.hpp"
#include "learned/go_math_l2o.hpp"
#include "learned/hybrid.hpp"
#include "learned/l2o_dm.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/loa_bfgs.hpp"
#include "learned/math_l2o.hpp"
#include "learned/regress.hpp"
#include "learned/rnnprop.hpp"
#include "learned/torchscript.hpp"
#include "learned/training.hpp"
#include "optimizers/registry.hpp"

namespace l2o::learned {

// A learned optimizer type: `make` builds the untrained model from its config and an init seed,
// `training(config, profile)` gives the default training budget. A composition that carries
// another learned optimizer's weights (the hybrid) also has `trained_part(config)`: that
// optimizer's name and canonical config, under which its weights are trained and cached.
template <class L>
concept LearnedOptimizerType = Named<L> && Config<typename L::Config> &&
    requires(const typename L::Config& c, std::uint64_t seed, TrainProfile profile) {
  { L::make(c, seed) } -> std::same_as<std::unique_ptr<LearnedOptimizer>>;
  { L::training(c, profile) } -> std::same_as<TrainConfig>;
};

struct TrainedPart {
  std::string name;
  Json config;  // canonical
};

using LearnedOptimizers = TypeList<L2oDm, RnnProp, DiffL2o, DiffL2oElementwise, Hybrid, LoaBfgs,
                                   MathL2o, GoMathL2o, TorchScript, Regress>;

template <LearnedOptimizerType... Ls>
constexpr bool all_learned_optimizer_types(TypeList<Ls...>) {
  return true;
}
static_assert(all_learned_optimizer_types(LearnedOptimizers{}));
// Classical and learned optimizers share one namespace of names in suites.
static_assert(names_are_unique(concat_t<optimizers::Optimizers, LearnedOptimizers>{}),
              "two optimizers (classical or learned) share a name");

struct LearnedEntry {
  std::string_view name, summary;
  Json (*describe)();
  Json (*canonical)(const Json& config, const std::string& where);
  TrainConfig (*training)(const Json& canonical, TrainProfile profile);
  TrainConfig (*default_training)(TrainProfile profile);  // of the default config
  TrainedPart (*trained_part)(const Json& canonical);
  std::unique_ptr<LearnedOptimizer> (*make)(const Json& canonical, std::uint64_t init_seed);
};

// The learned layer's view: the learned optimizers alone (a hybrid looks its part up here).
const std::vector<LearnedEntry>& learned_optimizers();
const LearnedEntry* find_learned(std::string_view name);  // nullptr for a classical or unknown name

// Every optimizer a suite can name, classical then learned. `learned` is the optional learned
// part (training budgets, trained sub-model, untrained model): null for a classical optimizer,
// whose `make` builds it ready to run. Only the registry and the harness's training cache look
// at which one an entry is.
// A suite entry's fields about training: "train" applies at both budgets, "train_quick" and
// "train_paper" on top of it at theirs; "train_on" names the problem it is trained on.
inline constexpr const char* training_budget_keys[] = {"train", "train_quick", "train_paper"};
inline constexpr const char* training_entry_keys[] = {"train", "train_quick", "train_paper",
                                                      "train_on"};

struct AnyOptimizerEntry {
  std::string_view name, summary;
  Json (*describe)();
  Json (*canonical)(const Json& config, const std::string& where);
  std::unique_ptr<optimizers::Optimizer> (*make)(const Json& canonical);  // classical only
  const LearnedEntry* learned = nullptr;
  // Extra suite entries `l2obench equivariance` measures by default besides the defaults (the
  // type's optional `equivariance_variants`, a JSON array of entries without "name").
  std::string_view equivariance_variants;
  // The type's optional `needs_a_file`: its config must name a file (a TorchScript module), so
  // it has no default model (left out of default measurements; tests give it a file).
  bool needs_a_file = false;

  // The canonical training config of a suite entry: the profile's budgets overridden by the
  // entry's "train" object, then by its "train_quick" or "train_paper" (the profile's own);
  // null for a classical optimizer, which takes none of training_entry_keys (an InputError
  // naming the field).
  Json training(const Json& canonical, TrainProfile profile, const Json& suite_entry,
                const std::string& where) const;
  // `l2obench list --json`'s description: name, summary, fields, and the training budgets.
  Json to_json() const;
};

const std::vector<AnyOptimizerEntry>& all_optimizers();
const AnyOptimizerEntry& find_any_optimizer(std::string_view name, const std::string& where);

// The model a checkpoint holds: built from its key's config (whose files must still have the
// content it was trained with) and loaded with its weights; errors name the file.
std::unique_ptr<LearnedOptimizer> load_checkpoint_model(const std::filesystem::path& checkpoint);

// A checkpoint's weights as one flat array in the model's documented order (for loa-bfgs the
// 216 numbers its "weights_file" reads back); errors name the file.
Json export_checkpoint_weights(const std::filesystem::path& checkpoint);

}  // namespace l2o::learned
