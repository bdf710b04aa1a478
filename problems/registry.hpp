#pragma once
// The problem families of the suite. Adding one: its file pair, one entry in this list, one test.
#include <string>
#include <string_view>
#include <vector>

#include "problems/ackley.hpp"
#include "problems/family.hpp"
#include "problems/lasso.hpp"
#include "problems/lasso_sparse.hpp"
#include "problems/logistic.hpp"
#include "problems/mlp.hpp"
#include "problems/quadratic.hpp"
#include "problems/rastrigin.hpp"
#include "problems/ridge.hpp"

namespace l2o::problems {

using ProblemFamilies =
    TypeList<Lasso, Rastrigin, Ackley, Quadratic, Mlp, Logistic, Ridge, LassoSparse>;

template <ProblemFamily... Fs>
constexpr bool all_problem_families(TypeList<Fs...>) {
  return true;
}
static_assert(all_problem_families(ProblemFamilies{}));
static_assert(names_are_unique(ProblemFamilies{}), "two problem families share a name");

const std::vector<FamilyEntry>& families();
const FamilyEntry& find_family(std::string_view name, const std::string& where);

}  // namespace l2o::problems
