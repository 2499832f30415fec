#pragma once
// Small nlohmann::json helpers the translators and surfaces share.

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"

namespace llmgw::gateway {

// Serializes without ever throwing: invalid UTF-8 from a provider or client is replaced.
template <typename J>
std::string Dump(const J& j) {
  return j.dump(-1, ' ', false, J::error_handler_t::replace);
}

// The integer at `key`, 0 when absent or not an integer.
inline int64_t IntField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// The integer at j[outer][key], 0 when either is absent.
inline int64_t NestedIntField(const nlohmann::json& j, const char* outer, const char* key) {
  auto it = j.find(outer);
  return it != j.end() && it->is_object() ? IntField(*it, key) : 0;
}

}  // namespace llmgw::gateway
