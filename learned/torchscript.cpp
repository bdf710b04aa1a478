#include "learned/torchscript.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/version.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"

namespace l2o::learned {

namespace {

using torch::jit::IValue;

constexpr std::string_view init_signature =
    "init(x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]";
constexpr std::string_view step_signature =
    "step(x: Tensor, grad: Tensor, loss: Tensor, state: List[Tensor], t: int) -> "
    "Tuple[Tensor, List[Tensor]]";
constexpr std::string_view context_keys = "features, lipschitz, l1_weight, loss";

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

std::string describe(const Tensor& t) {
  return fmt::format("[{}] {}", fmt::join(t.sizes(), ", "), c10::toString(t.scalar_type()));
}

torch::jit::Module load_module(const std::string& file) {
  if (!std::filesystem::is_regular_file(file))
    throw InputError(fmt::format("{}: no such TorchScript file (torchscript.module)", file));
  try {
    return torch::jit::load(file);
  } catch (const std::exception& e) {
    throw InputError(fmt::format(
        "{}: not a TorchScript module that this l2obench (LibTorch {}) can load; script it with "
        "torch.jit.script(module).save(path) from torch {} or older: {}",
        file, TORCH_VERSION, TORCH_VERSION, first_line(e.what())));
  }
}

void require_method(const torch::jit::Module& module, const std::string& name,
                    std::size_t arguments, std::string_view signature, const std::string& file) {
  const auto method = module.find_method(name);
  if (!method)
    throw InputError(
        fmt::format("{}: the module has no method {}; expected {} (mark it with @torch.jit.export)",
                    file, name, signature, signature));
  // The schema's first argument is self.
  const std::size_t given = method->function().getSchema().arguments().size() - 1;
  if (given != arguments)
    throw InputError(fmt::format("{}: the module's {} takes {} arguments; expected {}", file, name,
                                 given, signature));
}

// The module's numeric and boolean attributes: what "options" may set.
std::vector<std::string> settable_attributes(const torch::jit::Module& module) {
  std::vector<std::string> names;
  const auto& type = module.type();
  for (std::size_t i = 0; i < type->numAttributes(); ++i) {
    const IValue value = module._ivalue()->getSlot(i);
    if (value.isDouble() || value.isInt() || value.isBool())
      names.push_back(type->getAttributeName(i));
  }
  return names;
}

void set_options(torch::jit::Module& module, const Json& options, const std::string& file) {
  for (const auto& [name, value] : options.items()) {
    const IValue current = module.hasattr(name) ? module.attr(name) : IValue();
    const std::string where = fmt::format("{}: options.{}", file, name);
    if (current.isDouble() && value.is_number())
      module.setattr(name, value.get<double>());
    else if (current.isInt() && value.is_number_integer())
      module.setattr(name, value.get<std::int64_t>());
    else if (current.isBool() && value.is_boolean())
      module.setattr(name, value.get<bool>());
    else if (current.isDouble() || current.isInt() || current.isBool())
      throw InputError(fmt::format("{}: the module's attribute is {}, got {}", where,
                                   current.tagKind(), value.dump()));
    else
      throw InputError(
          fmt::format("{}: the module has no number or boolean attribute \"{}\"; "
                      "it has: {}",
                      where, name, fmt::join(settable_attributes(module), ", ")));
  }
}

// The module's optional `context: List[str]` attribute, checked.
std::vector<std::string> requested_context(const torch::jit::Module& module,
                                           const std::string& file) {
  std::vector<std::string> keys;
  if (!module.hasattr("context")) return keys;
  const IValue context = module.attr("context");
  if (!context.isList())
    throw InputError(fmt::format(
        "{}: the module's attribute \"context\" must be a List[str] of: {}", file, context_keys));
  for (const IValue& key : context.toListRef()) {
    const std::string name = key.isString() ? key.toStringRef() : "";
    if (name != "features" && name != "lipschitz" && name != "l1_weight" && name != "loss")
      throw InputError(fmt::format("{}: context: unknown key {}; allowed: {}", file,
                                   key.isString() ? "\"" + name + "\"" : key.tagKind(),
                                   context_keys));
    keys.push_back(name);
  }
  return keys;
}

class ScriptedModel;

class ScriptedRollout final : public LearnedRollout {
 public:
  ScriptedRollout(const ScriptedModel& model, const Objective& objective, const Tensor& x0);
  Tensor step() override;
  void detach() override {
    x_ = x_.detach();
    for (Tensor& s : state_) s = s.detach();
  }

 private:
  const ScriptedModel& model_;
  const Objective& f_;
  Tensor x_;
  std::vector<Tensor> state_;
  std::int64_t t_ = 0;
};

class ScriptedModel final : public LearnedOptimizer {
 public:
  explicit ScriptedModel(const TorchScript::Config& config)
      : file_(config.module), module_(load_module(config.module)) {
    require_method(module_, "init", 2, init_signature, file_);
    require_method(module_, "step", 5, step_signature, file_);
    set_options(module_, config.options, file_);
    context_ = requested_context(module_, file_);
  }

  Weights weights() const override {
    Weights w;
    for (const auto& p : module_.named_parameters(/*recurse=*/true))
      w.emplace_back(p.name, p.value);
    return w;
  }

  void to(const Placement& placement) override { module_.to(placement.device, placement.dtype); }

  std::unique_ptr<LearnedRollout> start_learned(const Objective& objective,
                                                const Tensor& x0) const override {
    return std::make_unique<ScriptedRollout>(*this, objective, x0);
  }

  TrainResult train(const TrainingProblem& problem, const TrainConfig& config,
                    const Placement& placement, const ProgressFn& progress) override {
    if (config.epochs > 0 && weights().empty())
      throw InputError(fmt::format(
          "{}: the module has no parameters to meta-train; remove the entry's \"train\" object",
          file_));
    return LearnedOptimizer::train(problem, config, placement, progress);
  }

  std::vector<Tensor> init(const Objective& f, const Tensor& x) const {
    c10::Dict<std::string, Tensor> context;
    for (const std::string& key : context_) {
      if (key == "features") context.insert(key, f.features());
      if (key == "lipschitz") {
        const auto lipschitz = f.lipschitz();
        if (!lipschitz)
          throw InputError(
              fmt::format("{}: the module asks for \"lipschitz\", which this problem "
                          "family does not know",
                          file_));
        context.insert(key, lipschitz->to(x.options()));
      }
      if (key == "l1_weight") context.insert(key, at::scalar_tensor(f.l1_weight(), x.options()));
    }
    const IValue out = call("init", {x, context}, init_signature);
    if (!out.isTensorList())
      throw InputError(
          fmt::format("{}: init returned {}; expected {}", file_, out.tagKind(), init_signature));
    return out.toTensorVector();
  }

  // One step: the next iterate and state, checked.
  std::pair<Tensor, std::vector<Tensor>> step(const Tensor& x, const Tensor& grad,
                                              const Tensor& loss, const std::vector<Tensor>& state,
                                              std::int64_t t) const {
    const IValue out = call("step", {x, grad, loss, c10::List<Tensor>(state), t}, step_signature);
    const auto* tuple = out.isTuple() ? out.toTuple().get() : nullptr;
    if (!tuple || tuple->elements().size() != 2 || !tuple->elements()[0].isTensor() ||
        !tuple->elements()[1].isTensorList())
      throw InputError(
          fmt::format("{}: step returned {}; expected {}", file_, out.tagKind(), step_signature));
    Tensor next = tuple->elements()[0].toTensor();
    if (next.sizes() != x.sizes() || next.scalar_type() != x.scalar_type())
      throw InputError(
          fmt::format("{}: step returned x {} at step {}; expected {} (x's shape and "
                      "dtype)",
                      file_, describe(next), t, describe(x)));
    std::vector<Tensor> next_state = tuple->elements()[1].toTensorVector();
    // NaN or inf in the state from finite inputs is the module's fault; from a diverged iterate
    // it is divergence, which the harness records.
    for (std::size_t i = 0; i < next_state.size(); ++i)
      if (!at::isfinite(next_state[i]).all().item<bool>() && at::isfinite(x).all().item<bool>() &&
          at::isfinite(grad).all().item<bool>())
        throw InputError(
            fmt::format("{}: step produced a non-finite state[{}] at step {} from a "
                        "finite x and gradient",
                        file_, i, t));
    return {std::move(next), std::move(next_state)};
  }

  // Whether step() gets f(x): evaluating it costs as much as the gradient on most families.
  bool wants_loss() const { return std::ranges::find(context_, "loss") != context_.end(); }
  const std::string& file() const { return file_; }
  const torch::jit::Module& module() const { return module_; }

 private:
  IValue call(const std::string& method, std::vector<IValue> inputs,
              std::string_view signature) const {
    try {
      return module_.get_method(method)(std::move(inputs));
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: {} failed (expected {}): {}", file_, method, signature,
                                   first_line(e.what())));
    }
  }

  std::string file_;
  torch::jit::Module module_;
  std::vector<std::string> context_;
};

ScriptedRollout::ScriptedRollout(const ScriptedModel& model, const Objective& objective,
                                 const Tensor& x0)
    : model_(model), f_(objective), x_(x0.detach()), state_(model.init(objective, x_)) {}

Tensor ScriptedRollout::step() {
  // The loss first: a stochastic family's grad() moves on to the next minibatch.
  const Tensor loss = model_.wants_loss() ? f_.loss(x_).detach() : at::empty({0}, x_.options());
  const Tensor grad = f_.grad(x_);
  count_network_evaluation();
  auto [next, state] = model_.step(x_, grad, loss, state_, t_);
  x_ = std::move(next);
  state_ = std::move(state);
  ++t_;
  return x_;
}

}  // namespace

void TorchScript::Config::validate(const std::string& where) const {
  if (module.empty())
    throw InputError(
        fmt::format("{}.module: expected the path of a TorchScript file "
                    "(torch.jit.script(m).save(path)), got an empty string",
                    where));
  if (!options.is_object())
    throw InputError(fmt::format("{}.options: expected an object of numbers and booleans, got {}",
                                 where, options.dump()));
  for (const auto& [name, value] : options.items())
    if (!value.is_number() && !value.is_boolean())
      throw InputError(fmt::format("{}.options.{}: expected a number or a boolean, got {}", where,
                                   name, value.dump()));
}

TrainConfig TorchScript::training(const Config&, TrainProfile) {
  TrainConfig t;
  t.epochs = 0;  // evaluated as scripted unless the entry's "train" asks for more
  return t;
}

std::unique_ptr<LearnedOptimizer> TorchScript::make(const Config& config, std::uint64_t) {
  return std::make_unique<ScriptedModel>(config);  // the weights are the module's own
}

void save_scripted_module(const LearnedOptimizer& model, const std::filesystem::path& path) {
  const auto* scripted = dynamic_cast<const ScriptedModel*>(&model);
  if (!scripted) throw InputError("only a torchscript model can be written as TorchScript");
  std::ostringstream bytes;
  scripted->module().save(bytes);
  write_file_atomically(path, std::move(bytes).str());
}

}  // namespace l2o::learned
