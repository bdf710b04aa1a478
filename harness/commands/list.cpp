// `l2obench list`: the problem families and optimizers with their config fields.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/commands/command.hpp"
#include "learned/registry.hpp"
#include "problems/registry.hpp"

namespace l2o::cli {

namespace {

Json registry_json() {
  Json families = Json::array(), optimizers = Json::array();
  for (const auto& f : problems::families())
    families.push_back({{"name", f.name}, {"summary", f.summary}, {"fields", f.describe()}});
  for (const auto& o : learned::all_optimizers()) optimizers.push_back(o.to_json());
  return {{"families", families}, {"optimizers", optimizers}};
}

void print_fields(const Json& fields) {
  for (const Json& field : fields) {
    std::string allowed =
        field.contains("allowed") ? fmt::format(" ({})", field["allowed"].get<std::string>()) : "";
    fmt::print("      {:<14} {:<8} default {:<14} {}{}\n", field["name"].get<std::string>(),
               field["type"].get<std::string>(), field["default"].dump(),
               field["doc"].get<std::string>(), allowed);
  }
}

void print_training(const Json& training) {
  fmt::print("      training (\"train\": {{...}}), defaults of the quick / paper profiles:\n");
  for (const Json& field : training["fields"]) {
    const std::string name = field["name"].get<std::string>();
    fmt::print("        {:<22} {:>8} / {:<8} {}\n", name, training["quick"][name].dump(),
               training["paper"][name].dump(), field["doc"].get<std::string>());
  }
}

void print_registry_text(const Json& registry) {
  for (const char* kind : {"families", "optimizers"}) {
    fmt::print("{}:\n", kind == std::string("families") ? "problem families" : "optimizers");
    for (const Json& entry : registry[kind]) {
      fmt::print("  {:<12} {}\n", entry["name"].get<std::string>(),
                 entry["summary"].get<std::string>());
      print_fields(entry["fields"]);
      if (entry.contains("training")) print_training(entry["training"]);
    }
  }
}

}  // namespace

Command add_list(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* command =
      app.add_subcommand("list", "problem families and optimizers with their config fields");
  command->add_flag("--json", *json, "machine-readable output");
  return {command, [json] {
            const Json registry = registry_json();
            if (*json)
              std::cout << registry.dump(2) << "\n";
            else
              print_registry_text(registry);
            return 0;
          }};
}

}  // namespace l2o::cli
