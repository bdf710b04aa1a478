#define BOOST_TEST_MODULE l2obench
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "core/threads.hpp"

// The tests run under the numerical libraries' settings that l2obench itself uses (OpenMP wait
// policy, OpenBLAS kernels): numbers that depend on the BLAS kernels are tested as shipped.
int main(int argc, char* argv[]) {
  l2o::tune_numerical_libraries(argv);
  return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}
