#include "problems/coordinate_change.hpp"

#include <ATen/ATen.h>

namespace l2o::problems {

std::optional<Tensor> CoordinateChange::lipschitz() const {
  auto L = f_.lipschitz();
  if (L) *L = *L * lipschitz_factor();
  return L;
}

namespace {

class Permuted final : public CoordinateChange {
 public:
  Permuted(const Objective& f, const Tensor& perm)
      : CoordinateChange(f),
        perm_(perm.to(f.placement().device, at::kLong)),
        inverse_(at::argsort(perm_)) {}
  Tensor inner(const Tensor& x) const override { return x.index_select(-1, inverse_); }
  Tensor outer(const Tensor& x) const override { return x.index_select(-1, perm_); }

 protected:
  Tensor pull_back(const Tensor& gradient) const override { return outer(gradient); }

 private:
  Tensor perm_, inverse_;
};

class Translated final : public CoordinateChange {
 public:
  Translated(const Objective& f, const Tensor& v)
      : CoordinateChange(f), v_(place(v, f.placement())) {}
  Tensor inner(const Tensor& x) const override { return x - v_; }
  Tensor outer(const Tensor& x) const override { return x + v_; }

 protected:
  Tensor pull_back(const Tensor& gradient) const override { return gradient; }

 private:
  Tensor v_;
};

class Scaled final : public CoordinateChange {
 public:
  Scaled(const Objective& f, double c) : CoordinateChange(f), c_(c) {}
  Tensor inner(const Tensor& x) const override { return x * c_; }
  Tensor outer(const Tensor& x) const override { return x / c_; }

 protected:
  Tensor pull_back(const Tensor& gradient) const override { return gradient * c_; }
  double lipschitz_factor() const override { return c_ * c_; }

 private:
  double c_;
};

}  // namespace

std::unique_ptr<CoordinateChange> permuted(const Objective& f, const Tensor& perm) {
  return std::make_unique<Permuted>(f, perm);
}

std::unique_ptr<CoordinateChange> translated(const Objective& f, const Tensor& v) {
  return std::make_unique<Translated>(f, v);
}

std::unique_ptr<CoordinateChange> scaled(const Objective& f, double c) {
  return std::make_unique<Scaled>(f, c);
}

}  // namespace l2o::problems
