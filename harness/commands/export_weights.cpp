// `l2obench export-weights`: a checkpoint's weights as a flat JSON array in the documented order.
#include "harness/commands/command.hpp"
#include "learned/registry.hpp"

namespace l2o::cli {

Command add_export_weights(CLI::App& app) {
  struct Arguments {
    std::string checkpoint, out;
  };
  auto a = std::make_shared<Arguments>();
  auto* command = app.add_subcommand(
      "export-weights", "a checkpoint's weights as a flat JSON array in the documented order");
  command->add_option("checkpoint", a->checkpoint, "checkpoint file (out/cache/...)")->required();
  command->add_option("--out", a->out, "output file (default: stdout)")->check(non_empty_path);
  return {command, [a] {
            write_output(a->out, learned::export_checkpoint_weights(a->checkpoint));
            return 0;
          }};
}

}  // namespace l2o::cli
