// `l2obench export-module`: a trained torchscript optimizer written back as TorchScript.
#include "harness/commands/command.hpp"
#include "learned/registry.hpp"
#include "learned/torchscript.hpp"

namespace l2o::cli {

Command add_export_module(CLI::App& app) {
  struct Arguments {
    std::string checkpoint, out;
  };
  auto a = std::make_shared<Arguments>();
  auto* command = app.add_subcommand(
      "export-module",
      "a trained torchscript optimizer's module with its trained weights, for torch.jit.load");
  command->add_option("checkpoint", a->checkpoint, "checkpoint file (out/cache/torchscript-...)")
      ->required();
  command->add_option("--out", a->out, "TorchScript file to write")
      ->required()
      ->check(non_empty_path);
  return {command, [a] {
            learned::save_scripted_module(*learned::load_checkpoint_model(a->checkpoint), a->out);
            return 0;
          }};
}

}  // namespace l2o::cli
