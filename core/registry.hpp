#pragma once
// Runtime name → entry tables generated from a compile-time TypeList (no static-initialiser
// self-registration: the list is the single source, checked by the compiler).
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/type_list.hpp"

namespace l2o {

// One entry per type of the list, made by make.template operator()<T>(), in list order.
template <class Entry, class... Ts, class Make>
std::vector<Entry> build_table(TypeList<Ts...>, const Make& make) {
  return {make.template operator()<Ts>()...};
}

// The entry named `name`, or an InputError naming `where`, the `kind` and the allowed names.
template <class Entry>
const Entry& find_entry(const std::vector<Entry>& table, std::string_view name,
                        std::string_view kind, const std::string& where) {
  for (const Entry& e : table)
    if (e.name == name) return e;
  std::vector<std::string_view> names;
  for (const Entry& e : table) names.push_back(e.name);
  throw InputError(
      fmt::format("{}: unknown {} \"{}\"; allowed: {}", where, kind, name, fmt::join(names, ", ")));
}

}  // namespace l2o
