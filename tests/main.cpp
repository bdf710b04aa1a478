#define BOOST_TEST_MODULE l2obench
#include <boost/test/unit_test.hpp>
