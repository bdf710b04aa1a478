#include "problems/lasso_sparse.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "problems/lasso.hpp"

namespace l2o::problems {

void LassoSparse::Config::validate(const std::string& where) {
  if (rows == 0) rows = std::max<std::int64_t>(1, dim / 2);
  if (sparsity == 0) sparsity = std::max<std::int64_t>(1, dim / 10);
  if (sparsity > dim)
    throw InputError(
        fmt::format("{}.sparsity: expected at most dim ({}), got {}", where, dim, sparsity));
}

std::unique_ptr<Objective> LassoSparse::sample(const Config& config, const Sampling& sampling) {
  const std::int64_t B = sampling.count, m = config.rows, n = config.dim;
  RandomStream stream(sampling.seed);
  Tensor W = stream.normal({B, m, n});
  W = W / W.norm(2, {1}, /*keepdim=*/true);
  // k random positions per instance: the first k of a random permutation.
  Tensor positions = std::get<1>(stream.uniform({B, n}).sort(1)).narrow(1, 0, config.sparsity);
  Tensor x_gt =
      at::zeros({B, n}, at::kDouble).scatter_(1, positions, stream.normal({B, config.sparsity}));
  Tensor y = at::bmm(W, x_gt.unsqueeze(2)).squeeze(2);
  return from_parameters(config, {{"A", W}, {"b", y}}, sampling.placement);
}

std::unique_ptr<Objective> LassoSparse::from_parameters(const Config& config,
                                                        const NamedTensors& parameters,
                                                        const Placement& placement) {
  auto p = take_parameters(parameters, {{"A", {config.rows, config.dim}}, {"b", {config.rows}}},
                           placement);
  return make_lasso_objective(p[0], p[1], config.lambda, placement);
}

}  // namespace l2o::problems
