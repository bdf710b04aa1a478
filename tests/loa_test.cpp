// BFGS and LOA's learned BFGS: the secant equation of the rank-two update, the untrained model
// against classical BFGS, convergence, the 216 weights and their flat and state-dict imports,
// both protocols against a transcription of the authors' code, the guard, and equivariance
// measured on transformed twins.
#include <fstream>
#include <functional>
#include <map>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <Eigen/Dense>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/equivariance.hpp"
#include "harness/metrics.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"
#include "learned/checkpoint.hpp"
#include "learned/registry.hpp"
#include "learned/training.hpp"
#include "optimizers/bfgs.hpp"
#include "optimizers/registry.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace loa_test {

namespace {

using l2o::Json;
using l2o::Tensor;
namespace learned = l2o::learned;
namespace optimizers = l2o::optimizers;

const l2o::Placement float64{c10::kCPU, at::kDouble};

std::unique_ptr<l2o::problems::Objective> sample(const Json& config, std::int64_t count,
                                                 std::uint64_t seed = 5) {
  const auto& family = l2o::problems::find_family(config.at("family").get<std::string>(), "test");
  Json c = config;
  c.erase("family");
  return family.sample(family.canonical(c, "test"), {count, seed, float64});
}

std::unique_ptr<learned::LearnedOptimizer> make_loa(const Json& config = Json::object()) {
  const auto* entry = learned::find_learned("loa-bfgs");
  auto model = entry->make(entry->canonical(config, "test"), 11);
  model->to(float64);
  return model;
}

std::unique_ptr<optimizers::Optimizer> bfgs(const Json& config = Json::object()) {
  const auto& entry = optimizers::find_optimizer("bfgs", "test");
  return entry.make(entry.canonical(config, "test"));
}

const Json safeguarded = {{"protocol", "safeguarded"}};

// x_1..x_steps, [steps, B, n].
Tensor iterates(const optimizers::Optimizer& o, const l2o::problems::Objective& f,
                std::int64_t steps) {
  c10::InferenceMode guard;
  auto rollout = o.start(f, f.initial_points(3));
  std::vector<Tensor> xs;
  for (std::int64_t k = 0; k < steps; ++k) xs.push_back(rollout->step().clone());
  return at::stack(xs);
}

double counter(const optimizers::Counters& counters, const std::string& name) {
  for (const auto& [n, v] : counters)
    if (n == name) return v;
  BOOST_FAIL("no counter " << name);
  return 0;
}

const Json* find_row(const Json& rows, const std::string& optimizer) {
  for (const Json& r : rows)
    if (r["optimizer"] == optimizer) return &r;
  return nullptr;
}

// ---- The authors' code (camcastera/L2OtoLOA: utils/models.py, utils/true_algos.py and the
// main_*.py scripts), transcribed per instance with Eigen, independently of the suite's
// batched tensors: their feature order, their update formulas, their line search and start.
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

// A state dict in their layout: [out, in] matrices by PyTorch parameter name.
struct AuthorsWeights {
  Mat outer0, outer1, outer2, fullskip, layer0, layer1;

  Json to_json() const {
    auto rows = [](const Mat& m) {
      Json out = Json::array();
      for (Eigen::Index r = 0; r < m.rows(); ++r) {
        Json row = Json::array();
        for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
        out.push_back(row);
      }
      return out;
    };
    return {{"outer_FF.0.weight", rows(outer0)}, {"outer_FF.1.weight", rows(outer1)},
            {"outer_FF.2.weight", rows(outer2)}, {"fullskip_layer.weight", rows(fullskip)},
            {"layers.0.weight", rows(layer0)},   {"layers.1.weight", rows(layer1)}};
  }
  // The suite's flat order, built from the header's documentation: each matrix transposed to
  // [in, out]; rows 0–2 of skip and head.0 are the global features, i.e. their columns 3–5.
  Json to_flat() const {
    Json flat = Json::array();
    auto append = [&](const Mat& in_out) {
      for (Eigen::Index r = 0; r < in_out.rows(); ++r)
        for (Eigen::Index c = 0; c < in_out.cols(); ++c) flat.push_back(in_out(r, c));
    };
    auto global_first = [](const Mat& out_in) {
      Mat t(out_in.cols(), out_in.rows());
      t << out_in.rightCols(3).transpose(), out_in.leftCols(3).transpose();
      return t;
    };
    append(outer0.transpose());
    append(outer1.transpose());
    append(outer2.transpose());
    append(global_first(fullskip));
    append(global_first(layer0));
    append(layer1.transpose());
    return flat;
  }
};

// Their BFGS-like init with every other weight drawn, then `noise` on the skip and last layer,
// so that u differs from s and every layer matters.
AuthorsWeights authors_weights(std::uint64_t seed, double noise) {
  l2o::RandomStream draws(seed);
  auto uniform = [&](std::int64_t out, std::int64_t in) {
    const Tensor t = ((draws.uniform({out, in}) * 2 - 1) / std::sqrt(double(in))).contiguous();
    return Mat(Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(
        t.data_ptr<double>(), out, in));
  };
  AuthorsWeights w{uniform(6, 3),         uniform(12, 6), uniform(3, 12),
                   noise * uniform(1, 6), uniform(12, 6), noise * uniform(1, 12)};
  w.fullskip(0, 1) += 1.0;  // column 1 is d₋₁ = s in their (local, global) input order
  return w;
}

Mat relu(const Mat& m) {
  return m.cwiseMax(0.0);
}

// LOA_BFGS_Model.forward's "out": features (H Δg, d₋₁, −H g) per coordinate, then the outer
// features averaged over coordinates, concatenated after them.
Vec authors_u(const AuthorsWeights& w, const Mat& H, const Vec& dm1, const Vec& dg, const Vec& g) {
  const Eigen::Index n = g.size();
  Mat x(n, 6);
  x.col(0) = H * dg;
  x.col(1) = dm1;
  x.col(2) = -(H * g);
  const Mat outer = relu(relu(x.leftCols(3) * w.outer0.transpose()) * w.outer1.transpose()) *
                    w.outer2.transpose();
  x.rightCols(3) = outer.colwise().mean().replicate(n, 1);
  const Mat out =
      x * w.fullskip.transpose() + relu(x * w.layer0.transpose()) * w.layer1.transpose();
  return out.col(0);
}

struct AuthorsProblem {
  std::function<double(const Vec&)> f;
  std::function<Vec(const Vec&)> grad;
  double lipschitz;  // the suite's L (their scripts use the same on ridge and quadratics)
};

// Runs their loop from x₋₁ for `steps` iterations; returns x₁..x_steps. With weights: the LOA
// loop of main_*.py; without: true_algos.BFGS(BB_init=True, Wolfe_LS=True). `failures` counts
// line searches where all 5 trials failed; `nonpositive_uy` updates with uᵀΔg ≤ 0.
std::vector<Vec> authors_run(const AuthorsProblem& p, const Vec& xm1, int steps,
                             const AuthorsWeights* w, int* failures = nullptr,
                             int* nonpositive_uy = nullptr) {
  const Eigen::Index n = xm1.size();
  Vec gradm1 = p.grad(xm1);
  Vec x = xm1 - (1 / (2 * p.lipschitz)) * gradm1;
  Vec dm1 = x - xm1;
  const Vec dg0 = p.grad(x) - gradm1;
  Mat H = 0.8 * (dg0.dot(dm1) / dg0.dot(dg0)) * Mat::Identity(n, n);
  std::vector<Vec> iterates;
  for (int k = 0; k < steps; ++k) {
    const Vec g = p.grad(x);
    const double value = p.f(x);
    const Vec dg = g - gradm1;
    if (w) {
      const Vec u = authors_u(*w, H, dm1, dg, g);
      const Vec secant = dm1 - H * dg;
      const double normalization = 1 / u.dot(dg), coef = secant.dot(dg) / u.dot(dg);
      H += normalization *
           (secant * u.transpose() + u * secant.transpose() - coef * u * u.transpose());
      if (nonpositive_uy && !(u.dot(dg) > 0)) ++*nonpositive_uy;
    } else {
      const Vec Bdg = H * dg;
      const double rho = 1 / dm1.dot(dg);
      H = H + (rho * (1 + rho * dg.dot(Bdg))) * dm1 * dm1.transpose() -
          rho * Bdg * dm1.transpose() - rho * dm1 * Bdg.transpose();
    }
    const Vec d = H * (-g);
    const double slope = d.dot(g);
    double stepsize = 1;
    bool failed = true;
    for (int trial = 0; trial < 5 && failed; ++trial) {
      failed = (p.f(x + stepsize * d) - value - 1e-2 * stepsize * slope) > 0;
      if (failed) stepsize *= 0.1;
    }
    if (failures && failed) ++*failures;
    const Vec next = x + stepsize * d;
    dm1 = w ? Vec(stepsize * d) : Vec(next - x);  // LOA keeps the step, BFGS the difference
    gradm1 = g;
    x = next;
    iterates.push_back(x);
  }
  return iterates;
}

Vec row(const Tensor& t, std::int64_t i) {
  const Tensor r = t[i].contiguous();
  return Eigen::Map<const Vec>(r.data_ptr<double>(), r.numel());
}
Mat matrix(const Tensor& t, std::int64_t i) {
  const Tensor m = t[i].contiguous();
  return Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(m.data_ptr<double>(),
                                                                          m.size(0), m.size(1));
}

// Their definitions of the three problems, from the instance's parameters: the quadratic
// ½xᵀQx − bᵀx, ridge ½‖Ax − b‖² + (λ/2)‖x‖² and logistic Σ log(1 + e^{−bᵢaᵢᵀx}) + ‖x‖²/(2m).
AuthorsProblem authors_problem(const std::string& family, const l2o::problems::Objective& f,
                               std::int64_t i, double lambda = 0.1) {
  const auto parameters = f.parameters();
  const Mat M = matrix(parameters[0].second, i);
  const Vec v = row(parameters[1].second, i);
  const double L = (*f.lipschitz())[i].item<double>();
  if (family == "quadratic")
    return {[=](const Vec& x) { return 0.5 * x.dot(M * x) - v.dot(x); },
            [=](const Vec& x) { return Vec(M * x - v); }, L};
  if (family == "ridge")
    return {
        [=](const Vec& x) { return 0.5 * ((M * x - v).squaredNorm() + lambda * x.squaredNorm()); },
        [=](const Vec& x) { return Vec(M.transpose() * (M * x - v) + lambda * x); }, L};
  const double m = double(M.rows());
  return {[=](const Vec& x) {
            const Eigen::ArrayXd t = -(v.array() * (M * x).array());
            return (1 + t.exp()).log().sum() + x.squaredNorm() / (2 * m);
          },
          [=](const Vec& x) {
            const Eigen::ArrayXd t = -(v.array() * (M * x).array());
            const Eigen::ArrayXd sigma = 1 / (1 + (-t).exp());
            return Vec(-(M.transpose() * (v.array() * sigma).matrix()) + x / m);
          },
          L};
}

// Largest ‖x_k − x'_k‖/‖x'_k‖ over instances and steps: the suite's iterates [steps, B, n]
// against the transcription's.
double trajectory_difference(const Tensor& suite, const std::vector<std::vector<Vec>>& theirs) {
  double worst = 0;
  for (std::size_t i = 0; i < theirs.size(); ++i)
    for (std::size_t k = 0; k < theirs[i].size(); ++k) {
      const double d = (row(suite[k], i) - theirs[i][k]).norm() / theirs[i][k].norm();
      worst = std::isfinite(d) ? std::max(worst, d) : INFINITY;
    }
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loa)

BOOST_AUTO_TEST_CASE(rank_two_update_keeps_the_secant_equation_for_any_u) {
  l2o::RandomStream draws(3);
  const std::int64_t B = 16, n = 30;
  const Tensor A = draws.normal({B, n, n});
  const Tensor H = at::bmm(A, A.transpose(1, 2)) / n + at::eye(n, at::kDouble);
  const Tensor s = draws.normal({B, n}), y = draws.normal({B, n}), u = draws.normal({B, n});
  const Tensor Hp = optimizers::rank_two_update(H, s, y, u);
  const Tensor Hy = at::bmm(Hp, y.unsqueeze(2)).squeeze(2);
  BOOST_TEST(l2o::testing::max_relative_difference(Hy, s) < 1e-10);
  BOOST_TEST((Hp - Hp.transpose(1, 2)).abs().max().item<double>() < 1e-10);  // stays symmetric
  // u = s is BFGS's inverse update (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ.
  const Tensor rho = (1 / (s * y).sum(1)).view({-1, 1, 1});
  const Tensor I = at::eye(n, at::kDouble).expand({B, n, n});
  const Tensor sy = s.unsqueeze(2) * y.unsqueeze(1);
  const Tensor textbook = at::bmm(at::bmm(I - rho * sy, H), I - rho * sy.transpose(1, 2)) +
                          rho * s.unsqueeze(2) * s.unsqueeze(1);
  BOOST_TEST(l2o::testing::max_relative_difference(optimizers::rank_two_update(H, s, y, s),
                                                   textbook) < 1e-9);
}

BOOST_AUTO_TEST_CASE(bfgs_converges_on_a_conditioned_quadratic) {
  // With Armijo steps (no exact line search) BFGS has no finite termination on quadratics; its
  // superlinear phase starts after about 2n steps here (kappa 100), as in a NumPy transcription.
  const std::int64_t n = 20;
  auto f = sample({{"family", "quadratic"}, {"kind", "conditioned"}, {"dim", n}}, 8);
  c10::InferenceMode guard;
  const Tensor x0 = f->initial_points(3);
  const Tensor f_star = *f->reference_minimum();
  for (const char* protocol : {"authors", "safeguarded"}) {
    BOOST_TEST_CONTEXT(protocol) {
      const Tensor xs = iterates(*bfgs({{"protocol", protocol}}), *f, 4 * n);
      // The best gap over the iterates: the authors' iteration has no s'y safeguard and turns
      // NaN once an instance has converged to rounding (as their code does), so its last
      // iterate can be NaN after it got there; the safeguarded one stays finite.
      Tensor best = at::full_like(f_star, INFINITY);
      for (std::int64_t k = 0; k < xs.size(0); ++k) {
        const Tensor gap = (f->loss(xs[k]) - f_star) / (f->loss(x0) - f_star);
        best = at::fmin(best, gap);  // fmin ignores NaN
      }
      BOOST_TEST(best.max().item<double>() < 1e-10);
      if (std::string(protocol) == "safeguarded") {
        const Tensor g_ratio = f->grad(xs[-1]).norm(2, {1}) / f->grad(x0).norm(2, {1});
        BOOST_TEST(g_ratio.max().item<double>() < 1e-5);
      }
    }
  }
  // GD with its best fixed step 1/L is far behind after as many steps.
  const auto& gd = optimizers::find_optimizer("gd", "test");
  const double L = f->lipschitz()->max().item<double>();
  const Tensor gd_x = iterates(*gd.make(gd.canonical({{"lr", 1 / L}}, "test")), *f, 4 * n)[-1];
  BOOST_TEST(((f->loss(gd_x) - f_star) / (f->loss(x0) - f_star)).min().item<double>() > 1e-4);
}

BOOST_AUTO_TEST_CASE(loa_has_216_weights_in_the_documented_order) {
  auto model = make_loa();
  std::int64_t count = 0;
  std::vector<std::string> names;
  for (const auto& [name, t] : model->weights()) {
    count += t.numel();
    names.push_back(name);
  }
  BOOST_TEST(count == learned::LoaBfgs::parameter_count);
  BOOST_TEST(count == 216);
  const std::vector<std::string> expected{"global.0", "global.1", "global.2",
                                          "skip",     "head.0",   "head.1"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(untrained_loa_reproduces_bfgs_iterates_exactly) {
  for (const Json& protocol : {Json::object(), safeguarded})
    for (const Json& problem :
         {Json{{"family", "logistic"}}, Json{{"family", "quadratic"}, {"kind", "conditioned"}}}) {
      auto f = sample(problem, 8);
      const Tensor classical = iterates(*bfgs(protocol), *f, 40);
      const Tensor learned_ = iterates(*make_loa(protocol), *f, 40);
      // Without the sᵀy safeguard, an instance converged to rounding meets sᵀy = 0 and turns NaN
      // (as in the authors' code); the same NaN in both counts as equal.
      const std::int64_t finite_steps = protocol.empty() ? 15 : 40;
      BOOST_TEST(at::isfinite(classical.narrow(0, 0, finite_steps)).all().item<bool>());
      BOOST_TEST(at::allclose(classical, learned_, 0, 0, /*equal_nan=*/true),
                 problem.dump() << protocol.dump());
    }
  // Other weights give other iterates: the comparison above could fail.
  auto f = sample({{"family", "logistic"}}, 8);
  BOOST_TEST(
      !at::equal(iterates(*bfgs(), *f, 10), iterates(*make_loa({{"init", "random"}}), *f, 10)));
}

BOOST_AUTO_TEST_CASE(the_guard_fires_for_random_weights_and_runs_stay_finite) {
  auto f = sample({{"family", "logistic"}}, 16);
  auto model = make_loa({{"init", "random"}, {"protocol", "safeguarded"}});
  c10::InferenceMode guard;
  auto rollout = model->start(*f, f->initial_points(3));
  Tensor x;
  for (int k = 0; k < 30; ++k) x = rollout->step();
  const auto counters = rollout->counters();
  BOOST_TEST(counter(counters, "guard_fallbacks") > 0);
  BOOST_TEST(counter(counters, "guard_fallbacks") <= counter(counters, "updates"));
  BOOST_TEST(at::isfinite(x).all().item<bool>());
  BOOST_TEST((f->loss(x) < f->loss(f->initial_points(3))).all().item<bool>());
  // BFGS itself never needs the guard.
  auto classical = bfgs(safeguarded)->start(*f, f->initial_points(3));
  for (int k = 0; k < 30; ++k) classical->step();
  BOOST_TEST(counter(classical->counters(), "guard_fallbacks") == 0);
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_a_flat_array) {
  l2o::testing::TempDir dir;
  auto source = make_loa({{"init", "random"}});
  const Json flat = learned::flatten_weights(source->weights());
  BOOST_TEST(flat.size() == 216u);
  l2o::write_json_atomically(dir / "w.json", flat);
  auto imported = make_loa({{"weights_file", (dir / "w.json").string()}});
  BOOST_TEST(learned::flatten_weights(imported->weights()) == flat);
  auto f = sample({{"family", "logistic"}}, 4);
  BOOST_TEST(at::equal(iterates(*source, *f, 15), iterates(*imported, *f, 15)));
  // The order is the documented one: skip is entries 126..131 and picks s in the BFGS init.
  const Json init = learned::flatten_weights(make_loa()->weights());
  for (int i = 126; i < 132; ++i) BOOST_TEST(init[i].get<double>() == (i == 130 ? 1.0 : 0.0));
  for (int i = 204; i < 216; ++i) BOOST_TEST(init[i].get<double>() == 0.0);

  Json short_ = flat;
  short_.erase(short_.size() - 1);
  l2o::write_json_atomically(dir / "short.json", short_);
  BOOST_CHECK_EXCEPTION(make_loa({{"weights_file", (dir / "short.json").string()}}),
                        l2o::InputError, [&](const l2o::InputError& e) {
                          const std::string m = e.what();
                          return m.find("short.json") != std::string::npos &&
                                 m.find("216") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(the_authors_state_dict_is_imported_by_name) {
  l2o::testing::TempDir dir;
  const AuthorsWeights w = authors_weights(7, 0.3);
  l2o::write_json_atomically(dir / "state_dict.json", w.to_json());
  l2o::write_json_atomically(dir / "flat.json", w.to_flat());
  auto from_state_dict = make_loa({{"weights_file", (dir / "state_dict.json").string()}});
  auto from_flat = make_loa({{"weights_file", (dir / "flat.json").string()}});
  BOOST_TEST(learned::flatten_weights(from_state_dict->weights()) == w.to_flat());
  auto f = sample({{"family", "logistic"}, {"data_term", "sum"}, {"generator", "authors"}}, 4);
  const Tensor rollout = iterates(*from_state_dict, *f, 15);
  BOOST_TEST(at::isfinite(rollout).all().item<bool>());
  BOOST_TEST(at::equal(rollout, iterates(*from_flat, *f, 15)));

  // Their BFGS-like init (fullskip column 1, their d₋₁, set to 1; last layer 0) is BFGS here:
  // the local inputs come first in their layout.
  AuthorsWeights bfgs_like = authors_weights(8, 0.0);
  l2o::write_json_atomically(dir / "bfgs_like.json", bfgs_like.to_json());
  const Tensor classical = iterates(*bfgs(), *f, 15);
  BOOST_TEST(
      at::equal(iterates(*make_loa({{"weights_file", (dir / "bfgs_like.json").string()}}), *f, 15),
                classical));
  BOOST_TEST(!at::equal(rollout, classical));

  auto rejects = [&](Json state_dict, const std::string& part) {
    l2o::write_json_atomically(dir / "bad.json", state_dict);
    BOOST_CHECK_EXCEPTION(make_loa({{"weights_file", (dir / "bad.json").string()}}),
                          l2o::InputError, [&](const l2o::InputError& e) {
                            const std::string m = e.what();
                            BOOST_TEST_MESSAGE(m);
                            return m.find("bad.json") != std::string::npos &&
                                   m.find(part) != std::string::npos;
                          });
  };
  Json missing = w.to_json();
  missing.erase("layers.1.weight");
  rejects(missing, "missing \"layers.1.weight\"");
  Json misshapen = w.to_json();
  misshapen["fullskip_layer.weight"] = Json::array({1, 2, 3, 4, 5, 6});
  rejects(misshapen, "\"fullskip_layer.weight\" must be a [1, 6] array");
  Json extra = w.to_json();
  extra["layers.2.weight"] = Json::array();
  rejects(extra, "unknown key \"layers.2.weight\"");
}

BOOST_AUTO_TEST_CASE(both_iterations_follow_a_transcription_of_the_authors_code) {
  // The suite's first 10 iterations with the authors' protocol, LOA with weights in their layout
  // and BFGS, against the transcription, per instance, in float64.
  l2o::testing::TempDir dir;
  const AuthorsWeights w = authors_weights(5, 0.3);
  l2o::write_json_atomically(dir / "w.json", w.to_json());
  auto loa = make_loa({{"weights_file", (dir / "w.json").string()}});
  struct Case {
    Json problem;
    std::int64_t count;
  };
  std::vector<Case> cases = {
      {{{"family", "quadratic"}, {"kind", "conditioned"}, {"dim", 100}}, 3},
      {{{"family", "logistic"}, {"data_term", "sum"}, {"generator", "authors"}}, 4},
      {{{"family", "ridge"}, {"dataset", "synthetic"}}, 4}};
  if (l2o::testing::dataset_installed("diabetes"))
    cases.push_back({{{"family", "ridge"}, {"dataset", "diabetes"}, {"target", "raw"}}, 3});
  for (const auto& [problem, count] : cases) {
    BOOST_TEST_CONTEXT(problem.dump()) {
      auto f = sample(problem, count);
      const Tensor x0 = f->initial_points(3);
      for (const AuthorsWeights* weights : {&w, static_cast<const AuthorsWeights*>(nullptr)}) {
        std::vector<std::vector<Vec>> theirs;
        for (std::int64_t i = 0; i < count; ++i)
          theirs.push_back(
              authors_run(authors_problem(problem["family"], *f, i), row(x0, i), 10, weights));
        const Tensor suite = weights ? iterates(*loa, *f, 10) : iterates(*bfgs(), *f, 10);
        const double difference = trajectory_difference(suite, theirs);
        BOOST_TEST_MESSAGE((weights ? "loa-bfgs " : "bfgs ")
                           << problem.dump() << ": largest relative difference " << difference);
        BOOST_TEST(difference <= 1e-8, (weights ? "loa-bfgs" : "bfgs"));
        // The safeguarded variant starts elsewhere: the comparison could fail.
        if (weights)
          BOOST_TEST(
              trajectory_difference(iterates(*make_loa({{"weights_file", (dir / "w.json").string()},
                                                        {"protocol", "safeguarded"}}),
                                             *f, 10),
                                    theirs) > 1e-3);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_authors_iteration_has_no_guard_and_takes_1e_5_after_failed_searches) {
  // Weights far from BFGS make uᵀy ≤ 0 and indefinite H, hence ascent directions whose line
  // searches fail (the step is then 1e-5·d): the suite still follows the transcription, and the
  // counters say how often.
  l2o::testing::TempDir dir;
  // u = s − 3·H y (their column 0 is H Δg): uᵀy = sᵀy − 3·yᵀHy is often ≤ 0.
  AuthorsWeights w = authors_weights(9, 0.0);
  w.fullskip(0, 0) = -3;
  l2o::write_json_atomically(dir / "w.json", w.to_json());
  auto loa = make_loa({{"weights_file", (dir / "w.json").string()}});
  // 8 steps: where uᵀy comes near 0, 1/(uᵀy) amplifies rounding about 10× a step (measured:
  // 2e-11 relative at step 4, 5e-10 at step 8, 2e-8 at step 10).
  const int steps = 8;
  const Json problem = {{"family", "quadratic"}, {"kind", "conditioned"}, {"dim", 20}};
  const std::int64_t count = 8;
  auto f = sample(problem, count);
  const Tensor x0 = f->initial_points(3);
  int failures = 0, nonpositive_uy = 0;
  std::vector<std::vector<Vec>> theirs;
  for (std::int64_t i = 0; i < count; ++i)
    theirs.push_back(authors_run(authors_problem("quadratic", *f, i), row(x0, i), steps, &w,
                                 &failures, &nonpositive_uy));
  BOOST_TEST_MESSAGE("failed searches " << failures << ", u'y <= 0 " << nonpositive_uy);
  BOOST_TEST(failures > 0);
  BOOST_TEST(nonpositive_uy > 0);
  c10::InferenceMode guard;
  auto rollout = loa->start(*f, x0);
  std::vector<Tensor> xs;
  for (int k = 0; k < steps; ++k) xs.push_back(rollout->step().clone());
  BOOST_TEST(trajectory_difference(at::stack(xs), theirs) <= 1e-8);
  const auto counters = rollout->counters();
  BOOST_TEST(counter(counters, "line_search_failures") == failures);
  BOOST_TEST(counter(counters, "updates_with_nonpositive_uy") == nonpositive_uy);
  BOOST_TEST(counter(counters, "updates") == steps * count);
}

BOOST_AUTO_TEST_CASE(the_authors_start_needs_a_lipschitz_constant) {
  auto f = sample({{"family", "ackley"}, {"dim", 4}}, 2);
  BOOST_CHECK_EXCEPTION(bfgs()->start(*f, f->initial_points(3)), l2o::InputError,
                        [](const l2o::InputError& e) {
                          return std::string(e.what()).find("safeguarded") != std::string::npos;
                        });
  BOOST_TEST(at::isfinite(iterates(*bfgs(safeguarded), *f, 5)).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(the_authors_start_is_step_0_of_a_cell) {
  auto f = sample({{"family", "ridge"}, {"dataset", "synthetic"}}, 4);
  const Tensor x0 = f->initial_points(3);
  {
    c10::InferenceMode guard;
    const auto start = bfgs()->start(*f, x0)->start_point();
    BOOST_REQUIRE(start.has_value());
    const Tensor expected = x0 - f->grad(x0) / (2 * *f->lipschitz()).unsqueeze(1);
    BOOST_TEST(l2o::testing::max_relative_difference(*start, expected) < 1e-14);
    BOOST_TEST(!bfgs(safeguarded)->start(*f, x0)->start_point().has_value());
  }
  // In a cell, step 0 of the authors' protocol is f(x₀), one gradient step below f(x₋₁).
  const Json suite = {
      {"name", "start"},
      {"steps", 3},
      {"test_instances", 4},
      {"dtype", "float64"},
      {"problems", {{{"family", "ridge"}, {"dataset", "synthetic"}}}},
      {"optimizers",
       {{{"name", "bfgs"}}, {{"name", "bfgs"}, {"label", "safe"}, {"protocol", "safeguarded"}}}}};
  l2o::testing::TempDir out;
  l2o::harness::run_suite(l2o::harness::parse_suite_json(suite, "start.json"),
                          {.out = out.path(), .threads = 1, .progress = false});
  const Json report = l2o::read_json_file(out / "report.json");
  std::map<std::string, Json> eval;
  for (const Json& cell : report["cells"]) eval[cell["optimizer"]["label"]] = cell["eval"];
  BOOST_REQUIRE(eval.size() == 2u);
  const auto first = [&](const std::string& o) { return eval[o]["loss"]["mean"][0].get<double>(); };
  BOOST_TEST(first("bfgs") < first("safe"));
  BOOST_TEST(eval["bfgs"]["normalized_gap"]["median"][0].get<double>() == 1.0);
}

BOOST_AUTO_TEST_CASE(export_weights_prints_a_checkpoint_in_the_flat_order) {
  l2o::testing::TempDir dir;
  auto model = make_loa({{"init", "random"}});
  const auto* entry = learned::find_learned("loa-bfgs");
  learned::CheckpointKey key{
      "loa-bfgs",
      entry->canonical(Json::object(), "test"),
      Json::object(),
      "quadratic",
      l2o::problems::find_family("quadratic", "t").canonical(Json::object(), "t"),
      1,
      "float64"};
  learned::save_checkpoint(dir / "c.json", *model, key, {}, Json());
  const auto r = l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " export-weights " +
                                           (dir / "c.json").string() + " --out " +
                                           (dir / "flat.json").string());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(l2o::read_json_file(dir / "flat.json") == learned::flatten_weights(model->weights()));
  // The checkpoint itself is a valid weights_file too.
  auto loaded = make_loa({{"weights_file", (dir / "c.json").string()}});
  BOOST_TEST(learned::flatten_weights(loaded->weights()) ==
             learned::flatten_weights(model->weights()));
}

BOOST_AUTO_TEST_CASE(meta_gradients_reach_every_layer_through_the_bfgs_steps) {
  // The accepted step sizes are constants; the iterate depends on the weights through d = −H g.
  auto model = make_loa();
  std::vector<Tensor> parameters;
  for (const auto& [name, t] : model->weights()) parameters.push_back(t.requires_grad_(true));
  auto f = sample({{"family", "quadratic"}, {"kind", "conditioned"}, {"dim", 10}}, 8);
  auto rollout = model->start_learned(*f, f->initial_points(3));
  Tensor loss = at::zeros({}, at::kDouble);
  for (int k = 0; k < 6; ++k) loss = loss + f->loss(rollout->step()).mean();
  loss.backward();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const Tensor g = parameters[i].grad();
    BOOST_REQUIRE(g.defined());
    BOOST_TEST(at::isfinite(g).all().item<bool>());
    // From the BFGS init, the zero output layer and the skip get a gradient first.
    if (i == 3 || i == 5) BOOST_TEST(g.abs().sum().item<double>() > 0, i);
  }

  // And the shared loop runs on it without a non-finite segment.
  auto trained = make_loa();
  const auto& family = l2o::problems::find_family("quadratic", "test");
  learned::TrainingProblem problem{
      &family, family.canonical({{"dim", 10}, {"kind", "conditioned"}}, "test"), 4, 5, 6};
  learned::TrainConfig config;
  config.epochs = 3;
  config.batch = 8;
  config.steps = 10;
  config.unroll = 5;
  config.validate_every = 3;
  config.validation_instances = 8;
  const auto result = trained->train(problem, config, float64, {});
  BOOST_TEST(result.skipped_segments == 0);
  BOOST_TEST(result.meta_loss.size() == 3u);
  for (double m : result.meta_loss) BOOST_TEST(std::isfinite(m));
}

BOOST_AUTO_TEST_CASE(normalized_gap_starts_at_one) {
  const Tensor losses = at::tensor({3.0, 5.0, 2.0, 3.0, 1.5, 1.5}, at::kDouble).view({3, 2});
  const Tensor f_star = at::tensor({1.0, 1.0}, at::kDouble);
  const Json eval = l2o::harness::evaluation_metrics(losses, f_star);
  const Json& median = eval["normalized_gap"]["median"];
  BOOST_TEST(median[0].get<double>() == 1.0);
  BOOST_TEST(median[1].get<double>() == (0.5 + 0.5) / 2);  // (2-1)/(3-1), (3-1)/(5-1)
  BOOST_TEST(median[2].get<double>() == (0.25 + 0.125) / 2);
}

BOOST_AUTO_TEST_CASE(equivariance_is_measured_not_assumed) {
  l2o::harness::EquivarianceOptions options;
  options.optimizers = Json::array({{{"name", "gd"}},
                                    {{"name", "bfgs"}},
                                    {{"name", "adam"}},
                                    {{"name", "loa-bfgs"}, {"init", "random"}},
                                    {{"name", "l2o-dm"}}});
  options.steps = 20;
  const auto result = l2o::harness::measure_equivariance(options);
  const Json& rows = result.json["rows"];
  auto deviation = [&](const std::string& o, const std::string& t) {
    const Json* row = find_row(rows, o);
    BOOST_REQUIRE(row);
    return (*row)["transformations"][t]["deviation"].get<double>();
  };
  auto equivariant = [&](const std::string& o, const std::string& t) {
    return (*find_row(rows, o))["transformations"][t]["equivariant"].get<bool>();
  };
  BOOST_TEST(deviation("bfgs", "permutation") < 1e-6);
  for (const char* t : {"permutation", "translation", "scaling"}) {
    BOOST_TEST(equivariant("bfgs", t), t);
    BOOST_TEST(equivariant("loa-bfgs", t), t);
  }
  BOOST_TEST(equivariant("gd", "permutation"));
  BOOST_TEST(equivariant("gd", "translation"));
  BOOST_TEST(deviation("gd", "scaling") > 1e-3);
  BOOST_TEST(!equivariant("gd", "scaling"));
  BOOST_TEST(equivariant("adam", "permutation"));
  BOOST_TEST(!equivariant("adam", "scaling"));
  BOOST_TEST(equivariant("l2o-dm", "permutation"));
  BOOST_TEST(!equivariant("l2o-dm", "scaling"));
  BOOST_TEST(result.table.find("bfgs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(equivariance_command_writes_json_and_rejects_bad_input) {
  l2o::testing::TempDir dir;
  const std::string binary = L2OBENCH_BINARY;
  auto r = l2o::testing::run_command(binary +
                                     " equivariance --optimizer bfgs --optimizer gd --steps 10 "
                                     "--json " +
                                     (dir / "e.json").string());
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("permutation") != std::string::npos);
  const Json j = l2o::read_json_file(dir / "e.json");
  BOOST_TEST(j["rows"].size() == 2u);
  r = l2o::testing::run_command(binary + " equivariance --optimizer nosuch");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("nosuch") != std::string::npos, r.output);
  r = l2o::testing::run_command(binary + " equivariance --scale 1");
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace loa_test
