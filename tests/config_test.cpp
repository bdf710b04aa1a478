// Config parsing and validation, seed derivation (the registries: registry_test.cpp).
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/seed.hpp"

namespace config_test {

namespace {

using l2o::InputError;
using l2o::Json;

struct Sample {
  std::int64_t count = 3;
  double rate = 0.5;
  bool flag = false;
  std::string mode = "a";
  template <class V>
  void fields(V& v) {
    v.field("count", count, "how many", l2o::at_least(1));
    v.field("rate", rate, "a rate", l2o::half_open_unit_interval());
    v.field("flag", flag, "a flag");
    v.field("mode", mode, "a mode", l2o::one_of({"a", "b"}));
  }
};

// A config whose second field was added after keys were made from it.
struct Later {
  std::int64_t count = 3;
  std::string added = "old";
  template <class V>
  void fields(V& v) {
    v.field("count", count, "how many", l2o::at_least(1));
    v.field("added", added, "a later field",
            l2o::keyed_only_when_set(l2o::one_of({"old", "new"}), "old"));
  }
};

// The same field declared with a keyed_only_when_set default that is not the struct's own.
struct Mismatched : Later {
  template <class V>
  void fields(V& v) {
    v.field("added", added, "a later field",
            l2o::keyed_only_when_set(l2o::one_of({"old", "new"}), "new"));
  }
};

std::string error_of(const Json& j) {
  try {
    l2o::parse_config<Sample>(j, "suite.json: problems[0]");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_and_values_round_trip) {
  auto c = l2o::parse_config<Sample>(Json{{"count", 7}, {"mode", "b"}}, "x");
  BOOST_TEST(c.count == 7);
  BOOST_TEST(c.rate == 0.5);
  BOOST_TEST(c.mode == "b");
  Json canonical = l2o::config_to_json(c);
  BOOST_TEST(canonical == (Json{{"count", 7}, {"rate", 0.5}, {"flag", false}, {"mode", "b"}}));
  BOOST_TEST(l2o::config_to_json(l2o::parse_config<Sample>(canonical, "x")) == canonical);
}

BOOST_AUTO_TEST_CASE(a_field_keyed_only_when_set_is_left_out_of_the_canonical_json_at_its_default) {
  BOOST_TEST(l2o::canonical_config<Later>(Json::object(), "x") == (Json{{"count", 3}}));
  BOOST_TEST(l2o::canonical_config<Later>(Json{{"added", "old"}}, "x") == (Json{{"count", 3}}));
  BOOST_TEST(l2o::canonical_config<Later>(Json{{"added", "new"}}, "x") ==
             (Json{{"count", 3}, {"added", "new"}}));
  BOOST_CHECK_THROW(l2o::parse_config<Later>(Json{{"added", "other"}}, "x"), InputError);
  BOOST_CHECK_NO_THROW(l2o::describe_config<Later>());
  // A keyed_only_when_set default that is not the struct's own is a programming error.
  BOOST_CHECK_THROW(l2o::describe_config<Mismatched>(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(integral_floats_are_integers) {
  BOOST_TEST(l2o::parse_config<Sample>(Json{{"count", 4.0}}, "x").count == 4);
}

BOOST_AUTO_TEST_CASE(errors_name_where_field_and_allowed_values) {
  BOOST_TEST(error_of({{"count", 0}}) ==
             "suite.json: problems[0].count: expected an integer >= 1, got 0");
  BOOST_TEST(error_of({{"count", 2.5}}) ==
             "suite.json: problems[0].count: expected an integer >= 1, got 2.5");
  BOOST_TEST(error_of({{"count", "3"}}) ==
             "suite.json: problems[0].count: expected an integer >= 1, got \"3\"");
  BOOST_TEST(error_of({{"rate", 1.0}}) ==
             "suite.json: problems[0].rate: expected a number in [0, 1), got 1.0");
  BOOST_TEST(error_of({{"flag", 1}}) ==
             "suite.json: problems[0].flag: expected true or false, got 1");
  BOOST_TEST(error_of({{"mode", "c"}}) ==
             "suite.json: problems[0].mode: expected a string one of: a, b, got \"c\"");
  BOOST_TEST(
      error_of({{"speed", 1}}) ==
      "suite.json: problems[0]: unknown field \"speed\"; allowed fields: count, rate, flag, mode");
  BOOST_TEST(error_of(Json::array()) == "suite.json: problems[0]: expected a JSON object, got []");
}

BOOST_AUTO_TEST_CASE(describe_lists_fields_with_defaults) {
  Json d = l2o::describe_config<Sample>();
  BOOST_REQUIRE(d.size() == 4);
  BOOST_TEST(d[0]["name"] == "count");
  BOOST_TEST(d[0]["type"] == "integer");
  BOOST_TEST(d[0]["default"] == 3);
  BOOST_TEST(d[3]["allowed"] == "one of: a, b");
}

BOOST_AUTO_TEST_CASE(seed_derivation_is_stable_and_path_sensitive) {
  // Pinned: a change here silently changes every instance of every suite.
  BOOST_TEST(l2o::derive_seed(1, {"lasso", "test"}) == l2o::derive_seed(1, {"lasso", "test"}));
  BOOST_TEST(l2o::derive_seed(1, {"lasso", "test"}) != l2o::derive_seed(1, {"lasso", "train"}));
  BOOST_TEST(l2o::derive_seed(1, {"lasso", "test"}) != l2o::derive_seed(2, {"lasso", "test"}));
  BOOST_TEST(l2o::derive_seed(1, {"ab", "c"}) != l2o::derive_seed(1, {"a", "bc"}));
  BOOST_TEST(l2o::derive_seed(0, {"lasso"}) < (std::uint64_t{1} << 63));
  static_assert(l2o::derive_seed(7, {"x"}) == l2o::derive_seed(7, {"x"}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace config_test
