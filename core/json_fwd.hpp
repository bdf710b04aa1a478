#pragma once
#include <nlohmann/json_fwd.hpp>

namespace l2o {
using Json = nlohmann::json;
}
