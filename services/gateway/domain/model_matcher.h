#pragma once
// A price catalog's model matcher: which model ids one catalog entry prices. The logic of the
// catalog (@pydantic/genai-prices): equals / starts_with / ends_with / contains compare without
// case, regex (ECMAScript) searches the id as sent, and / or combine them. Pure; built once per
// price table, then only read.

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace llmgw::gateway {

class ModelMatcher {
 public:
  // INVALID_ARGUMENT on an unknown node, a non-string operand or a regex that does not compile.
  static absl::StatusOr<std::shared_ptr<const ModelMatcher>> Parse(const nlohmann::json& logic);
  static absl::StatusOr<std::shared_ptr<const ModelMatcher>> ParseText(std::string_view json);

  bool Matches(std::string_view model) const;
  // The exact ids it names through `or` nodes (its aliases, e.g. "grok-4" beside "grok-4-0709"),
  // lower-case, in order, without repeats.
  std::vector<std::string> Aliases() const;

 private:
  enum class Op { kAnd, kOr, kEquals, kStartsWith, kEndsWith, kContains, kRegex };
  struct Node {
    Op op = Op::kEquals;
    std::string text;  // lower-case for the string operators
    std::shared_ptr<const std::regex> regex;
    std::vector<Node> children;
  };
  static absl::StatusOr<Node> ParseNode(const nlohmann::json& logic, int depth);
  static bool Eval(const Node& n, std::string_view lower, std::string_view original);

  Node root_;
};

}  // namespace llmgw::gateway
