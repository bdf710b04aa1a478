#pragma once
// Errors the user can fix (bad suite, unknown name, missing file) are InputError: the CLI
// prints their message alone and exits non-zero. Anything else is a bug and keeps its type.
#include <stdexcept>
#include <string>

namespace l2o {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace l2o
