// Precompiled header shared by every target: the heavy third-party headers, nothing of ours.
#pragma once
#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/types.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
