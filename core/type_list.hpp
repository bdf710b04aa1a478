#pragma once
// Compile-time lists of types (problem families, optimizers) and the checks made on them.
#include <array>
#include <cstddef>
#include <string_view>

namespace l2o {

template <class... Ts>
struct TypeList {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <class T>
concept Named = requires {
  { T::name } -> std::convertible_to<std::string_view>;
  { T::summary } -> std::convertible_to<std::string_view>;
};

// True when no two types of the list share a `name`; checked with static_assert at the
// registries so that a duplicate is a compile error, not a silently shadowed entry.
template <Named... Ts>
constexpr bool names_are_unique(TypeList<Ts...>) {
  constexpr std::array<std::string_view, sizeof...(Ts)> names{Ts::name...};
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      if (names[i] == names[j]) return false;
  return true;
}

}  // namespace l2o

namespace l2o {

template <class A, class B>
struct Concat;
template <class... As, class... Bs>
struct Concat<TypeList<As...>, TypeList<Bs...>> {
  using type = TypeList<As..., Bs...>;
};
// The types of A followed by those of B.
template <class A, class B>
using concat_t = typename Concat<A, B>::type;

}  // namespace l2o
