#include "core/threads.hpp"

#include <unistd.h>

#include <cstdlib>

namespace l2o {

void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;  // the user's choice, or done already
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: run on with the default policy
}

}  // namespace l2o
