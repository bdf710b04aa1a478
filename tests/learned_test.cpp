// Learned optimizers: preprocessing against hand-computed values, truncated BPTT, meta-training,
// checkpoints and the training cache.
#include <cmath>
#include <fstream>
#include <limits>
#include <set>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/autograd.h>
#include <torch/nn/modules/rnn.h>

#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/suite.hpp"
#include "harness/training_cache.hpp"
#include "learned/checkpoint.hpp"
#include "learned/lstm.hpp"
#include "learned/preprocessing.hpp"
#include "learned/registry.hpp"
#include "learned/training.hpp"
#include "problems/registry.hpp"
#include "tests/support.hpp"

namespace learned_test {

namespace {

using l2o::Json;
using l2o::Tensor;
namespace learned = l2o::learned;

std::unique_ptr<learned::LearnedOptimizer> make(const std::string& name, std::uint64_t seed = 1) {
  const auto* entry = learned::find_learned(name);
  return entry->make(entry->canonical(Json::object(), "test"), seed);
}

std::unique_ptr<l2o::problems::Objective> quadratic(std::int64_t count, std::uint64_t seed) {
  const auto& f = l2o::problems::find_family("quadratic", "test");
  return f.sample(f.canonical({{"dim", 10}}, "test"), {count, seed, {c10::kCPU, at::kFloat}});
}

Tensor rollout(const learned::LearnedOptimizer& m, const l2o::problems::Objective& f, int steps) {
  c10::InferenceMode guard;
  auto r = m.start(f, f.initial_points(3));
  Tensor x;
  for (int k = 0; k < steps; ++k) x = r->step();
  return x;
}

// Autograd nodes reachable from a tensor's grad_fn: the size of the graph a backward would walk.
std::size_t graph_size(const Tensor& t) {
  std::set<const torch::autograd::Node*> seen;
  std::vector<torch::autograd::Node*> todo{t.grad_fn().get()};
  while (!todo.empty()) {
    auto* node = todo.back();
    todo.pop_back();
    if (!node || !seen.insert(node).second) continue;
    for (const auto& edge : node->next_edges()) todo.push_back(edge.function.get());
  }
  return seen.size();
}

learned::TrainConfig short_training(std::int64_t epochs) {
  learned::TrainConfig c;
  c.epochs = epochs;
  c.batch = 32;
  c.steps = 20;
  c.unroll = 10;
  c.validate_every = epochs;
  c.validation_instances = 64;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(learned_tests)

BOOST_AUTO_TEST_CASE(log_and_sign_matches_hand_computation) {
  Tensor g = at::tensor({1.0f, -0.1f, 0.0f, 1e-3f}).reshape({2, 2});
  Tensor out = learned::log_and_sign(g, 5.0);
  BOOST_REQUIRE(out.sizes() == at::IntArrayRef({4, 2}));
  const double eps = std::numeric_limits<float>::epsilon();
  // log part: log(|g| + eps)/5 clamped to [-1, 1]; sign part: g·e⁵ clamped to [-1, 1].
  const double expected[4][2] = {{std::log(1.0 + eps) / 5, 1.0},
                                 {std::log(0.1 + eps) / 5, -1.0},
                                 {-1.0, 0.0},                    // log(eps)/5 ≈ −3.2 clamps
                                 {-1.0, 1e-3 * std::exp(5.0)}};  // log(1e-3)/5 ≈ −1.4 clamps
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      BOOST_TEST(out[i][j].item<double>() == expected[i][j], boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(rnnprop_inputs_are_adam_normalised_gradients) {
  learned::AdamNormalizer normalize(0.95, 0.95, 1e-8);
  Tensor g1 = at::tensor({2.0, -0.5}, at::kDouble).reshape({1, 2});
  Tensor g2 = at::tensor({1.0, 0.5}, at::kDouble).reshape({1, 2});
  Tensor first = normalize(g1);
  // Step 1: m̂ = g, v̂ = g², so the inputs are sign(g) (up to ε).
  BOOST_TEST(first[0][0].item<double>() == 1.0, boost::test_tools::tolerance(1e-7));
  BOOST_TEST(first[1][1].item<double>() == -1.0, boost::test_tools::tolerance(1e-7));
  Tensor second = normalize(g2);
  // Step 2, coordinate 0: m = 0.05·0.95·2 + 0.05·1, v = 0.05·0.95·4 + 0.05·1.
  const double m = 0.05 * 0.95 * 2 + 0.05 * 1, v = 0.05 * 0.95 * 4 + 0.05 * 1;
  const double bias = 1 - 0.95 * 0.95, denominator = std::sqrt(v / bias) + 1e-8;
  BOOST_TEST(second[0][0].item<double>() == 1.0 / denominator, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(second[0][1].item<double>() == (m / bias) / denominator,
             boost::test_tools::tolerance(1e-12));
}

// The coordinate-wise LSTM optimizers, trained by the shared truncated-BPTT loop (the diffusion
// ones have their own tests in diffusion_test.cpp).
const std::vector<std::string> coordinate_wise = {"l2o-dm", "rnnprop"};

BOOST_AUTO_TEST_CASE(truncation_cuts_the_graph) {
  for (const std::string& name : coordinate_wise) {
    BOOST_TEST_CONTEXT(name) {
      auto m = make(name);
      for (auto& [name, w] : m->weights()) w.requires_grad_(true);
      auto f = quadratic(4, 2);
      auto r = m->start_learned(*f, f->initial_points(1));
      std::vector<std::size_t> sizes;
      for (int segment = 0; segment < 4; ++segment) {
        Tensor loss = at::zeros({});
        for (int t = 0; t < 5; ++t) loss = loss + f->loss(r->step()).mean();
        sizes.push_back(graph_size(loss));
        loss.backward();
        r->detach();
      }
      // Without the cut, every segment's graph would contain all earlier ones.
      BOOST_TEST(sizes[1] == sizes[3]);
      BOOST_TEST(sizes[0] <= sizes[1]);
    }
  }
}

BOOST_AUTO_TEST_CASE(short_meta_training_lowers_the_validation_loss) {
  for (const std::string& name : coordinate_wise) {
    BOOST_TEST_CONTEXT(name) {
      auto m = make(name);
      learned::TrainingProblem problem{
          &l2o::problems::find_family("quadratic", "t"),
          l2o::problems::find_family("quadratic", "t").canonical({{"dim", 10}}, "t")};
      auto result = learned::meta_train(*m, problem, short_training(40), {c10::kCPU, at::kFloat});
      BOOST_REQUIRE(result.validation.size() == 2u);
      BOOST_TEST(result.validation[1].second < 0.9 * result.validation[0].second);
      BOOST_TEST(result.best_epoch == 40);
      BOOST_TEST(result.meta_loss.size() == 40u);
      BOOST_TEST(result.seconds > 0);
      BOOST_TEST(result.cpu_seconds > 0);
      BOOST_TEST(result.cpu_seconds <= result.seconds);  // one thread's CPU time
    }
  }
}

BOOST_AUTO_TEST_CASE(checkpoints_round_trip_to_identical_rollouts) {
  l2o::testing::TempDir dir;
  auto m = make("l2o-dm", 3);
  learned::TrainingProblem problem{
      &l2o::problems::find_family("quadratic", "t"),
      l2o::problems::find_family("quadratic", "t").canonical({{"dim", 10}}, "t")};
  auto result = learned::meta_train(*m, problem, short_training(5), {c10::kCPU, at::kFloat});
  learned::CheckpointKey key{"l2o-dm", Json::object(), Json::object(), "quadratic", problem.config,
                             5,        "float32"};
  learned::save_checkpoint(dir / "c.json", *m, key, result, {{"git_commit", "test"}});

  auto fresh = make("l2o-dm", 99);  // other initial weights
  auto f = quadratic(16, 7);
  BOOST_TEST(!at::equal(rollout(*fresh, *f, 30), rollout(*m, *f, 30)));
  auto loaded = learned::load_checkpoint(dir / "c.json", *fresh, key);
  BOOST_TEST(at::equal(rollout(*fresh, *f, 30), rollout(*m, *f, 30)));
  BOOST_TEST(loaded.to_json() == result.to_json());

  // Another key, a missing weight, a wrong shape, a NaN: each an error naming the file.
  // The edits are signed (a matching digest) except where the digest is what is tested.
  auto expect_error = [&](Json file, const std::string& fragment, bool sign = true) {
    if (sign) file["digest"] = l2o::json_digest(file);
    l2o::write_json_atomically(dir / "bad.json", file);
    BOOST_CHECK_EXCEPTION(learned::load_checkpoint(dir / "bad.json", *fresh, key), l2o::InputError,
                          [&](const l2o::InputError& e) {
                            std::string what = e.what();
                            return what.starts_with((dir / "bad.json").string()) &&
                                   what.find(fragment) != std::string::npos;
                          });
  };
  Json good = l2o::read_json_file(dir / "c.json");
  Json other = good;
  other["key"]["seed"] = 6;
  expect_error(other, "trained for another configuration");
  Json missing = good;
  missing["weights"].erase("head.bias");
  expect_error(missing, "weight \"head.bias\" is missing");
  Json shape = good;
  shape["weights"]["head.bias"] = {1.0, 2.0};
  expect_error(shape, "weight \"head.bias\" has shape [2], the model expects [1]");
  Json nan = good;
  nan["weights"]["head.bias"] = {nullptr};
  expect_error(nan, "weight \"head.bias\"");
  // A weight changed in place (same shape): caught by the digest alone.
  Json edited = good;
  edited["weights"]["head.bias"][0] = edited["weights"]["head.bias"][0].get<double>() + 0.5;
  expect_error(edited, "the checkpoint's digest does not match its content", false);
  Json unsigned_file = good;
  unsigned_file.erase("digest");
  expect_error(unsigned_file, "the checkpoint has no digest", false);
  std::ofstream(dir / "bad.json") << "{\"format\": \"l2obench-che";
  BOOST_CHECK_THROW(learned::load_checkpoint(dir / "bad.json", *fresh, key), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(the_training_cache_trains_once_then_loads) {
  l2o::testing::TempDir dir;
  Json suite_json = {{"name", "cache"},
                     {"steps", 20},
                     {"test_instances", 8},
                     {"problems", {{{"family", "quadratic"}, {"dim", 10}}}},
                     {"optimizers",
                      {{{"name", "l2o-dm"},
                        {"train", {{"epochs", 3}, {"batch", 8}, {"steps", 20}, {"unroll", 10}}}}}}};
  auto suite = l2o::harness::parse_suite_json(suite_json, "s.json");
  const auto& o = suite.optimizers[0];
  const auto& p = suite.problems[0];
  std::filesystem::path checkpoint;
  Tensor first;
  {
    l2o::harness::TrainingCache cache(dir.path(), suite, {c10::kCPU, at::kFloat}, false);
    const auto& trained = cache.get(o, p);
    BOOST_TEST(!trained.loaded);
    BOOST_TEST(std::filesystem::exists(trained.checkpoint));
    BOOST_TEST(trained.record["epochs"] == 3);
    BOOST_TEST(trained.record["seconds"].get<double>() > 0);
    checkpoint = trained.checkpoint;
    first = rollout(*trained.model, *quadratic(8, 1), 10);
  }
  l2o::harness::TrainingCache again(dir.path(), suite, {c10::kCPU, at::kFloat}, false);
  const auto& loaded = again.get(o, p);
  BOOST_TEST(loaded.loaded);
  BOOST_TEST(loaded.checkpoint == checkpoint);
  BOOST_TEST(loaded.record["seconds"].get<double>() > 0);  // the recorded training time
  BOOST_TEST(at::equal(rollout(*loaded.model, *quadratic(8, 1), 10), first));

  // A corrupt checkpoint is an error, not a silent retraining.
  std::ofstream(checkpoint) << "garbage";
  l2o::harness::TrainingCache third(dir.path(), suite, {c10::kCPU, at::kFloat}, false);
  BOOST_CHECK_THROW(third.get(o, p), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(stacked_lstm_matches_torch_nn_lstm) {
  l2o::RandomStream init(4);
  learned::StackedLstm ours(3, 4, 2, init);
  learned::Weights w;
  ours.collect(w, "lstm");
  torch::nn::LSTM reference(torch::nn::LSTMOptions(3, 4).num_layers(2));
  {
    at::NoGradGuard no_grad;
    for (int l = 0; l < 2; ++l) {
      const std::int64_t in = l == 0 ? 3 : 4;
      Tensor W = w[2 * l].second, b = w[2 * l + 1].second;  // [in + 4, 16], [16]
      auto p = reference->named_parameters();
      const std::string s = std::to_string(l);
      p["weight_ih_l" + s].copy_(W.narrow(0, 0, in).t());
      p["weight_hh_l" + s].copy_(W.narrow(0, in, 4).t());
      p["bias_ih_l" + s].copy_(b);
      p["bias_hh_l" + s].zero_();
    }
  }
  auto state = ours.initial_state(5, at::TensorOptions().dtype(at::kFloat));
  std::tuple<Tensor, Tensor> torch_state{at::zeros({2, 5, 4}), at::zeros({2, 5, 4})};
  for (int t = 0; t < 3; ++t) {
    Tensor x = l2o::RandomStream(10 + t).normal({5, 3}).to(at::kFloat);
    Tensor h = ours.step(x, state);
    auto [out, next] = reference->forward(x.unsqueeze(0), torch_state);
    torch_state = next;
    BOOST_TEST(l2o::testing::max_relative_difference(h, out.squeeze(0)) < 1e-5, "step " << t);
  }
}

// The fused cell's hand-written backward against autograd through the textbook LSTM equations,
// in float64 over three steps (so gradients flow through h and c of earlier steps too).
BOOST_AUTO_TEST_CASE(the_fused_lstm_cell_has_the_gradients_of_the_plain_one) {
  l2o::RandomStream init(4);
  learned::StackedLstm ours(3, 4, 2, init);
  ours.to({c10::kCPU, at::kDouble});
  learned::Weights w;
  ours.collect(w, "lstm");
  std::vector<Tensor> plain;
  for (auto& [name, t] : w) {
    t.requires_grad_(true);
    plain.push_back(t.detach().clone().requires_grad_(true));
  }
  const auto options = at::TensorOptions().dtype(at::kDouble);
  auto state = ours.initial_state(5, options);
  std::vector<Tensor> h(2, at::zeros({5, 4}, options)), c(2, at::zeros({5, 4}, options));
  Tensor loss = at::zeros({}, options), plain_loss = at::zeros({}, options);
  for (int t = 0; t < 3; ++t) {
    Tensor x = l2o::RandomStream(10 + t).normal({5, 3});
    Tensor weight = l2o::RandomStream(20 + t).normal({5, 4});
    Tensor h_top = ours.step(x, state);  // advances state.c
    loss = loss + (h_top * weight).sum() + state.c[1].sum();
    for (int l = 0; l < 2; ++l) {
      auto g = at::addmm(plain[2 * l + 1], at::cat({x, h[l]}, 1), plain[2 * l]).chunk(4, 1);
      c[l] = at::sigmoid(g[1]) * c[l] + at::sigmoid(g[0]) * at::tanh(g[2]);
      h[l] = at::sigmoid(g[3]) * at::tanh(c[l]);
      x = h[l];
    }
    plain_loss = plain_loss + (x * weight).sum() + c[1].sum();
  }
  BOOST_TEST(std::abs(loss.item<double>() - plain_loss.item<double>()) < 1e-12);
  loss.backward();
  plain_loss.backward();
  for (std::size_t i = 0; i < w.size(); ++i)
    BOOST_TEST(l2o::testing::max_relative_difference(w[i].second.grad(), plain[i].grad()) < 1e-12,
               w[i].first);
}

BOOST_AUTO_TEST_CASE(training_keeps_the_best_validated_weights) {
  learned::TrainingProblem problem{
      &l2o::problems::find_family("quadratic", "t"),
      l2o::problems::find_family("quadratic", "t").canonical({{"dim", 10}}, "t")};
  auto config = short_training(6);
  config.validate_every = 1;
  config.lr = 1e-2;
  config.lr_decay = 1000;  // 10 from epoch 3 and 10^4 from epoch 5: later epochs wreck the network
  config.lr_decay_every = 2;
  config.clip = 0;
  auto full = make("l2o-dm", 8);
  auto result = learned::meta_train(*full, problem, config, {c10::kCPU, at::kFloat});
  BOOST_TEST_REQUIRE(result.best_epoch < 6,
                     "the last epoch was the best; the test needs a worse one");
  // Training only up to the best epoch (same seeds, same trajectory) ends with the same weights.
  auto shorter = make("l2o-dm", 8);
  config.epochs = result.best_epoch;
  learned::meta_train(*shorter, problem, config, {c10::kCPU, at::kFloat});
  for (std::size_t i = 0; i < full->weights().size(); ++i)
    BOOST_TEST(at::equal(full->weights()[i].second, shorter->weights()[i].second),
               full->weights()[i].first);
}

BOOST_AUTO_TEST_CASE(every_key_field_names_another_checkpoint) {
  const learned::CheckpointKey base{
      "l2o-dm", {{"hidden", 20}}, {{"epochs", 3}}, "quadratic", {{"dim", 10}}, 5, "float32", "cpu"};
  std::vector<learned::CheckpointKey> changed(8, base);
  changed[0].optimizer = "rnnprop";
  changed[1].config = {{"hidden", 21}};
  changed[2].training = {{"epochs", 4}};
  changed[3].family = "lasso";
  changed[4].problem = {{"dim", 11}};
  changed[5].seed = 6;
  changed[6].dtype = "float64";
  changed[7].device = "cuda:0";
  std::set<std::string> names{base.file_name()};
  for (const auto& k : changed) names.insert(k.file_name());
  BOOST_TEST(names.size() == 9u);
  BOOST_TEST(base.to_json()["training_code_version"] == learned::training_code_version);
}

BOOST_AUTO_TEST_CASE(training_configs_are_validated) {
  Json s = {{"name", "t"},
            {"problems", {{{"family", "quadratic"}}}},
            {"optimizers", {{{"name", "l2o-dm"}, {"train", {{"steps", 30}, {"unroll", 20}}}}}}};
  BOOST_CHECK_EXCEPTION(
      l2o::harness::parse_suite_json(s, "s.json"), l2o::InputError, [](const l2o::InputError& e) {
        return std::string(e.what()) ==
               "s.json.optimizers[0].train: steps (30) must be a multiple of unroll (20)";
      });
  s["optimizers"][0]["train"] = {{"epoch", 3}};
  BOOST_CHECK_EXCEPTION(l2o::harness::parse_suite_json(s, "s.json"), l2o::InputError,
                        [](const l2o::InputError& e) {
                          return std::string(e.what()).starts_with(
                              "s.json.optimizers[0].train: unknown field \"epoch\"");
                        });
  s["optimizers"][0] = {{"name", "gd"}, {"train", {{"epochs", 3}}}};
  BOOST_CHECK_EXCEPTION(l2o::harness::parse_suite_json(s, "s.json"), l2o::InputError,
                        [](const l2o::InputError& e) {
                          return std::string(e.what()) ==
                                 "s.json.optimizers[0].train: only learned optimizers are trained; "
                                 "\"gd\" is classical";
                        });
  // Profiles pick the reference or the quick budget.
  s["optimizers"][0] = {{"name", "l2o-dm"}};
  s["train_profile"] = "paper";
  BOOST_TEST(l2o::harness::parse_suite_json(s, "s.json").optimizers[0].training["epochs"] == 10000);
  s["train_profile"] = "quick";
  BOOST_TEST(l2o::harness::parse_suite_json(s, "s.json").optimizers[0].training["epochs"] == 300);
}

BOOST_AUTO_TEST_CASE(train_blocks_of_one_budget_apply_on_top_of_train) {
  Json s = {{"name", "t"},
            {"problems", {{{"family", "quadratic"}}}},
            {"optimizers",
             {{{"name", "l2o-dm"},
               {"train", {{"batch", 4}, {"epochs", 7}}},
               {"train_quick", {{"epochs", 50}}},
               {"train_paper", {{"validate_every", 100}}}}}}};
  auto training = [&](const char* profile) {
    s["train_profile"] = profile;
    return l2o::harness::parse_suite_json(s, "s.json").optimizers[0].training;
  };
  const Json quick = training("quick"), paper = training("paper");
  BOOST_TEST(quick["batch"] == 4);
  BOOST_TEST(quick["epochs"] == 50);
  BOOST_TEST(quick["validate_every"] == 25);
  BOOST_TEST(paper["batch"] == 4);
  BOOST_TEST(paper["epochs"] == 7);
  BOOST_TEST(paper["validate_every"] == 100);

  // A typo in the other budget's block is refused too, named by its block.
  s["optimizers"][0]["train_paper"] = {{"epoch", 10}};
  BOOST_CHECK_EXCEPTION(training("quick"), l2o::InputError, [](const l2o::InputError& e) {
    return std::string(e.what()).starts_with(
        "s.json.optimizers[0].train_paper: unknown field \"epoch\"");
  });
  s["optimizers"][0]["train_paper"] = {{"epochs", -1}};
  BOOST_CHECK_EXCEPTION(training("quick"), l2o::InputError, [](const l2o::InputError& e) {
    return std::string(e.what()).starts_with("s.json.optimizers[0].train_paper.epochs");
  });
  s["optimizers"][0]["train_paper"] = 3;
  BOOST_CHECK_EXCEPTION(training("paper"), l2o::InputError, [](const l2o::InputError& e) {
    return std::string(e.what()) == "s.json.optimizers[0].train_paper: expected an object, got 3";
  });
  // Relations between fields are checked on the merged budget.
  s["optimizers"][0]["train_paper"] = {{"steps", 30}};
  BOOST_CHECK_EXCEPTION(training("paper"), l2o::InputError, [](const l2o::InputError& e) {
    return std::string(e.what()) ==
           "s.json.optimizers[0].train_paper: steps (30) must be a multiple of unroll (20)";
  });
  s["optimizers"][0]["train"]["unroll"] = 10;
  BOOST_TEST(training("paper")["steps"] == 30);
  s["optimizers"][0] = {{"name", "adam"}, {"train_quick", {{"epochs", 3}}}};
  BOOST_CHECK_EXCEPTION(training("paper"), l2o::InputError, [](const l2o::InputError& e) {
    return std::string(e.what()) ==
           "s.json.optimizers[0].train_quick: only learned optimizers are trained; \"adam\" is "
           "classical";
  });
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace learned_test
