#pragma once
// An optimizer written in PyTorch and scripted with torch.jit.script: l2obench loads the module
// and calls its methods, batched over the instances of a problem (B instances, n coordinates):
//
//   init(x: Tensor[B, n], context: Dict[str, Tensor]) -> List[Tensor]        the state
//   step(x, grad, loss, state: List[Tensor], t: int) -> Tuple[Tensor, List[Tensor]]
//
// grad is ∇f(x) [B, n], t the step index from 0; step returns the next iterate [B, n] of x's
// dtype and the next state. The module's optional `context: List[str]` attribute asks for more:
// "loss" (f(x) [B] as step's `loss`, else an empty tensor: it costs an evaluation of f), and in
// init's `context`, "features" ([B, p], the problem's parameters), "lipschitz" ([B], where the
// family knows it), "l1_weight" (a 0-d tensor). The suite entry's "options" set the
// module's attributes (numbers and booleans: hyperparameters). The module's parameters are its
// weights: meta-trained by the shared truncated-BPTT loop when the entry has a "train" object
// (its budgets default to 0 epochs: evaluated as scripted), cached under a key that covers the
// module file's content, and written back as TorchScript by `l2obench export-module`.
// examples/torchscript/ has a TorchScript Adam and a small learned optimizer.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "learned/learned_optimizer.hpp"
#include "learned/training.hpp"

namespace l2o::learned {

struct TorchScript {
  static constexpr std::string_view name = "torchscript";
  static constexpr std::string_view summary =
      "an optimizer scripted in PyTorch (torch.jit.script): init/step methods, optional "
      "meta-trained parameters";
  // Its weights come from the module file: there is no default model to build.
  static constexpr bool needs_a_file = true;

  struct Config {
    std::string module;
    Json options = Json::object();
    template <class Visitor>
    void fields(Visitor& v) {
      v.field("module", module, "TorchScript file (torch.jit.script(m).save(path))");
      v.field("options", options, "values of the module's attributes, e.g. {\"lr\": 0.1}");
    }
    void validate(const std::string& where) const;
  };

  static TrainConfig training(const Config& config, TrainProfile profile);
  static std::unique_ptr<LearnedOptimizer> make(const Config& config, std::uint64_t init_seed);
};

// Writes the module of a trained torchscript model, with its trained weights, as a TorchScript
// file that torch.jit.load reads. An InputError when `model` is not a torchscript model.
void save_scripted_module(const LearnedOptimizer& model, const std::filesystem::path& path);

}  // namespace l2o::learned
