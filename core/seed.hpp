#pragma once
// Seed derivation. Every random draw of the suite comes from a stream whose seed is derived
// from the suite seed and a path of names, e.g.
//   derive_seed(suite_seed, {"lasso", canonical_config, "test", "rep0", "instances"}).
// Different paths give unrelated streams, so train and test instances never share a draw,
// and adding a problem or optimizer to a suite leaves the other cells' streams unchanged.
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace l2o {

// A strong 64-bit mixer (splitmix64 finaliser).
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a over the bytes of a string; stable across platforms and runs.
constexpr std::uint64_t hash_string(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr std::uint64_t derive_seed(std::uint64_t root,
                                    std::initializer_list<std::string_view> path) {
  std::uint64_t h = mix64(root);
  for (std::string_view part : path) h = mix64(h ^ hash_string(part));
  // LibTorch's CPU generator takes any 64-bit seed; keep it in the non-negative int64 range
  // so that it survives JSON round trips and other tools unchanged.
  return h >> 1;
}

}  // namespace l2o
