// Numbers and sizes a parser accepts but nothing could use: a number beyond a double (1e999),
// beyond the suite's dtype (1e300 in float32), a dimension beyond the machine's memory. Each is
// refused when the file is read or validated, with its file, line or field.
#include <algorithm>
#include <fstream>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/tensor.hpp"
#include "harness/instances.hpp"
#include "harness/suite.hpp"
#include "learned/checkpoint.hpp"
#include "learned/registry.hpp"
#include "tests/support.hpp"

namespace input_limits_test {

namespace {

using l2o::InputError;
using l2o::Json;
namespace fs = std::filesystem;
namespace harness = l2o::harness;

Json small_suite() {
  return {{"name", "limits"},
          {"steps", 5},
          {"test_instances", 4},
          {"problems", {{{"family", "lasso"}, {"dim", 10}}}},
          {"optimizers", {{{"name", "gd"}, {"lr", 0.01}}}}};
}

// The message of the InputError that `f` throws ("" and a test failure if none).
template <class F>
std::string error_of(const F& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_ERROR("no InputError thrown");
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(input_limits)

BOOST_AUTO_TEST_CASE(a_number_beyond_a_double_names_file_line_and_field) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "suite.json") << "{\"name\": \"limits\",\n \"problems\": [{\"family\": "
                                       "\"lasso\"}],\n \"optimizers\": [{\"name\": \"gd\",\n "
                                       "\"lr\": 1e999}]}";
  const std::string message = error_of([&] { harness::parse_suite_file(dir / "suite.json"); });
  BOOST_TEST(message.starts_with((dir / "suite.json").string() + ": line 4: optimizers[0].lr: "),
             message);
  BOOST_TEST(message.find("1e999") != std::string::npos, message);

  // A flat weights file: the entry's index.
  std::ofstream(dir / "weights.json") << "[0.5, -2,\n -1e999, 3]";
  const std::string flat = error_of([&] { l2o::read_json_file(dir / "weights.json"); });
  BOOST_TEST(flat.starts_with((dir / "weights.json").string() + ": line 2: [2]: number '-1e999'"),
             flat);
}

BOOST_AUTO_TEST_CASE(a_weights_file_with_1e999_is_refused_naming_the_file) {
  l2o::testing::TempDir dir;
  std::ofstream(dir / "w.json") << "[1e999]";
  const auto* loa = l2o::learned::find_learned("loa-bfgs");
  const std::string message = error_of([&] {
    loa->make(loa->canonical({{"weights_file", (dir / "w.json").string()}}, "o"), 0);
  });
  BOOST_TEST(message.starts_with((dir / "w.json").string() + ": line 1: [0]: "), message);
}

BOOST_AUTO_TEST_CASE(numbers_beyond_the_suite_dtype_are_refused_at_validation) {
  Json suite = small_suite();
  suite["optimizers"][0]["lr"] = 1e300;
  BOOST_TEST(error_of([&] { harness::parse_suite_json(suite, "s.json"); }) ==
             "s.json.optimizers[0].lr: 1e+300 is beyond the range of the suite's dtype float32 "
             "(|x| <= 3.4028234663852886e+38)");
  suite["dtype"] = "float64";
  BOOST_TEST(harness::parse_suite_json(suite, "s.json").optimizers.size() == 1u);

  // Nested fields and scenario values too.
  Json nested = small_suite();
  nested["scenarios"] = {{{"kind", "objective"}, {"value", {10, -1e39}}}};
  BOOST_TEST(error_of([&] {
               harness::parse_suite_json(nested, "s.json");
             }).starts_with("s.json.scenarios[0].value[1]: -1e+39 is beyond"));
  Json learned = small_suite();
  learned["optimizers"] = {{{"name", "l2o-dm"}, {"train", {{"lr", -5e38}}}}};
  BOOST_TEST(error_of([&] {
               harness::parse_suite_json(learned, "s.json");
             }).starts_with("s.json.optimizers[0].train.lr: -5e+38 is beyond"));
}

BOOST_AUTO_TEST_CASE(a_dimension_beyond_memory_is_refused_naming_the_field) {
  Json suite = small_suite();
  suite["test_instances"] = 128;
  suite["problems"][0]["dim"] = 5000000000;
  const std::string message = error_of([&] { harness::parse_suite_json(suite, "s.json"); });
  BOOST_TEST(message.starts_with("s.json.problems[0].dim: 5000000000 x 128 test instances in "
                                 "float32 take 2.56 TB for the iterates alone, more than this "
                                 "machine's memory"),
             message);
  suite["problems"][0]["dim"] = {10, 5e9};
  BOOST_TEST(error_of([&] {
               harness::parse_suite_json(suite, "s.json");
             }).starts_with("s.json.problems[0].dim[1]: 5000000000 x 128 test instances"));
}

BOOST_AUTO_TEST_CASE(the_command_line_stops_on_them_with_one_line_and_status_2) {
  l2o::testing::TempDir dir;
  Json suite = small_suite();
  suite["test_instances"] = 128;
  suite["problems"][0]["dim"] = 5000000000;
  l2o::write_json_atomically(dir / "s.json", suite);
  const auto r =
      l2o::testing::run_command(std::string(L2OBENCH_BINARY) + " run " + (dir / "s.json").string() +
                                " --out " + (dir / "out").string() + " --quiet");
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1, r.output);
  BOOST_TEST(r.output.find((dir / "s.json").string() + ".problems[0].dim: ") != std::string::npos,
             r.output);
}

BOOST_AUTO_TEST_CASE(a_ragged_array_is_refused_before_its_first_path_is_allocated) {
  // Ten levels of 200 entries along the first path only: 200^10 numbers announced, 2,000 there.
  Json nested = 1.0;
  for (int depth = 0; depth < 10; ++depth) {
    Json level = Json::array({nested});
    for (int k = 1; k < 200; ++k) level.push_back(1.0);
    nested = level;
  }
  BOOST_TEST(error_of([&] {
               l2o::tensor_from_json(nested, "w.json: weight \"a\"");
             }).starts_with("w.json: weight \"a\": "));
}

BOOST_AUTO_TEST_CASE(an_instance_file_with_fields_of_the_wrong_kind_names_them) {
  const Json file = {{"format", "l2obench-instances"}, {"dtype", "float64"}};
  BOOST_TEST(error_of([&] { harness::import_instances(file, "i.json"); }) ==
             "i.json.problems: expected an array (missing)");
  Json wrong = file;
  wrong["dtype"] = 64;
  BOOST_TEST(error_of([&] { harness::import_instances(wrong, "i.json"); }) ==
             "i.json.dtype: expected a string, got 64");
  wrong = file;
  wrong["problems"] = {{{"family", 3}}};
  BOOST_TEST(error_of([&] { harness::import_instances(wrong, "i.json"); }) ==
             "i.json.problems[0].family: expected a string, got 3");
  wrong["problems"] = {{{"family", "lasso"}, {"config", Json::object()}, {"parameters", 1}}};
  BOOST_TEST(error_of([&] { harness::import_instances(wrong, "i.json"); }) ==
             "i.json.problems[0].parameters: expected an object, got 1");
  wrong = file;
  wrong["format"] = 1;
  BOOST_TEST(error_of([&] {
               harness::import_instances(wrong, "i.json");
             }).starts_with("i.json: not an l2obench instance file"));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_whose_format_is_not_a_string_is_refused_naming_the_file) {
  l2o::testing::TempDir dir;
  const auto* loa = l2o::learned::find_learned("loa-bfgs");
  auto model = loa->make(loa->canonical(Json::object(), "o"), 0);
  l2o::write_json_atomically(dir / "c.json", {{"format", 3}, {"weights", Json::object()}});
  BOOST_TEST(error_of([&] { l2o::learned::load_checkpoint(dir / "c.json", *model, {}); }) ==
             (dir / "c.json").string() + ": not an l2obench checkpoint; delete it to retrain");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace input_limits_test
