#pragma once
// (Not CoordinateScaledObjective, which owns f and scales it for training, nor
// UniformAffineObjective, the scenarios' scalar c·x + t.)
// The same instances seen through a change of coordinates x = T(x'): g(x') = f(T(x')). What an
// equivariance measurement runs an optimizer on (harness/equivariance.hpp): an optimizer is
// equivariant under T when its iterates on g, mapped back by T, are its iterates on f started
// from T⁻¹(x₀). Three kinds, each per instance of the batch:
//   permutation  x = x'[:, inverse]  (x' lists the coordinates of x in the order `perm`)
//   translation  x = x' − v          (g(x) = f(x − v), started from x₀ + v)
//   scaling      x = c·x'            (g(x) = f(c·x), started from x₀/c; c > 0 a scalar)
// The wrapped objective is not owned and must outlive the wrapper. f* and the problem's
// features are f's; the Lipschitz constant is transformed (c²·L under scaling). An L1 term is
// not of the form λ‖x'‖₁ after a translation or scaling, so every twin presents itself as one
// non-smooth whole (l1_weight 0), as CoordinateScaledObjective does.
#include <memory>

#include "problems/objective.hpp"

namespace l2o::problems {

class CoordinateChange : public Objective {
 public:
  explicit CoordinateChange(const Objective& f) : f_(f) {}

  // x' (the twin's coordinates) → x (f's), and back.
  virtual Tensor inner(const Tensor& x) const = 0;
  virtual Tensor outer(const Tensor& x) const = 0;

  std::int64_t batch() const override { return f_.batch(); }
  std::int64_t dim() const override { return f_.dim(); }
  Placement placement() const override { return f_.placement(); }
  Tensor loss(const Tensor& x) const override { return f_.loss(inner(x)); }
  Tensor grad(const Tensor& x) const override { return pull_back(f_.grad(inner(x))); }
  std::optional<Tensor> lipschitz() const override;
  Tensor features() const override { return f_.features(); }
  NamedTensors parameters() const override { return f_.parameters(); }
  std::optional<Tensor> reference_minimum() const override { return f_.reference_minimum(); }
  Tensor initial_points(std::uint64_t seed) const override {
    return outer(f_.initial_points(seed));
  }
  void rewind() const override { f_.rewind(); }
  NamedTensors evaluation_metrics(const Tensor& x) const override {
    return f_.evaluation_metrics(inner(x));
  }

 protected:
  // ∇f at inner(x') → ∇g at x' (the transpose of the map's Jacobian applied to it).
  virtual Tensor pull_back(const Tensor& gradient) const = 0;
  // The factor of the Lipschitz constant of ∇g over that of ∇f.
  virtual double lipschitz_factor() const { return 1.0; }

  const Objective& f_;
};

// perm: a permutation of 0..n−1 (int64 [n]).
std::unique_ptr<CoordinateChange> permuted(const Objective& f, const Tensor& perm);
// v: [B, n] or [n].
std::unique_ptr<CoordinateChange> translated(const Objective& f, const Tensor& v);
std::unique_ptr<CoordinateChange> scaled(const Objective& f, double c);

}  // namespace l2o::problems
