#include "services/gateway/domain/model_matcher.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace llmgw::gateway {

namespace {

constexpr int kMaxDepth = 16;

}  // namespace

absl::StatusOr<ModelMatcher::Node> ModelMatcher::ParseNode(const nlohmann::json& logic, int depth) {
  if (depth > kMaxDepth) return absl::InvalidArgumentError("model matcher nested too deeply");
  if (!logic.is_object() || logic.size() != 1) {
    return absl::InvalidArgumentError("a model matcher node is an object with one key");
  }
  // The object's one member (json iterators, not items(): its proxy would dangle here).
  const auto member = logic.begin();
  const std::string& key = member.key();
  const nlohmann::json& value = member.value();
  Node n;
  if (key == "and" || key == "or") {
    n.op = key == "and" ? Op::kAnd : Op::kOr;
    if (!value.is_array() || value.empty()) {
      return absl::InvalidArgumentError("'" + key + "' takes a non-empty array");
    }
    for (const auto& child : value) {
      absl::StatusOr<Node> c = ParseNode(child, depth + 1);
      if (!c.ok()) return c.status();
      n.children.push_back(*std::move(c));
    }
    return n;
  }
  if (!value.is_string()) return absl::InvalidArgumentError("'" + key + "' takes a string");
  const std::string& text = value.get_ref<const std::string&>();
  if (key == "regex") {
    n.op = Op::kRegex;
    n.text = text;
    try {
      n.regex = std::make_shared<const std::regex>(text, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return absl::InvalidArgumentError("model matcher regex does not compile: " + text);
    }
    return n;
  }
  if (key == "equals") {
    n.op = Op::kEquals;
  } else if (key == "starts_with") {
    n.op = Op::kStartsWith;
  } else if (key == "ends_with") {
    n.op = Op::kEndsWith;
  } else if (key == "contains") {
    n.op = Op::kContains;
  } else {
    return absl::InvalidArgumentError("unknown model matcher '" + key + "'");
  }
  n.text = absl::AsciiStrToLower(text);
  return n;
}

absl::StatusOr<std::shared_ptr<const ModelMatcher>> ModelMatcher::Parse(
    const nlohmann::json& logic) {
  absl::StatusOr<Node> root = ParseNode(logic, 0);
  if (!root.ok()) return root.status();
  auto m = std::shared_ptr<ModelMatcher>(new ModelMatcher());
  m->root_ = *std::move(root);
  return m;
}

absl::StatusOr<std::shared_ptr<const ModelMatcher>> ModelMatcher::ParseText(std::string_view json) {
  nlohmann::json logic = nlohmann::json::parse(json, nullptr, false);
  if (logic.is_discarded()) return absl::InvalidArgumentError("model matcher is not JSON");
  return Parse(logic);
}

bool ModelMatcher::Eval(const Node& n, std::string_view lower, std::string_view original) {
  switch (n.op) {
    case Op::kAnd:
      return std::all_of(n.children.begin(), n.children.end(),
                         [&](const Node& c) { return Eval(c, lower, original); });
    case Op::kOr:
      return std::any_of(n.children.begin(), n.children.end(),
                         [&](const Node& c) { return Eval(c, lower, original); });
    case Op::kEquals:
      return lower == n.text;
    case Op::kStartsWith:
      return lower.substr(0, n.text.size()) == n.text;
    case Op::kEndsWith:
      return lower.size() >= n.text.size() && lower.substr(lower.size() - n.text.size()) == n.text;
    case Op::kContains:
      return lower.find(n.text) != std::string_view::npos;
    case Op::kRegex:
      return std::regex_search(original.begin(), original.end(), *n.regex);
  }
  return false;
}

bool ModelMatcher::Matches(std::string_view model) const {
  std::string lower(model);
  for (char& c : lower) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return Eval(root_, lower, model);
}

std::vector<std::string> ModelMatcher::Aliases() const {
  std::vector<std::string> out;
  std::vector<const Node*> todo = {&root_};
  // Depth first, in order: an `or`'s children are pushed reversed.
  while (!todo.empty()) {
    const Node* n = todo.back();
    todo.pop_back();
    if (n->op == Op::kOr) {
      for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) todo.push_back(&*it);
    } else if (n->op == Op::kEquals && std::find(out.begin(), out.end(), n->text) == out.end()) {
      out.push_back(n->text);
    }
  }
  return out;
}

}  // namespace llmgw::gateway
