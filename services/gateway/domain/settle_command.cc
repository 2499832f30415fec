#include "services/gateway/domain/settle_command.h"

#include <nlohmann/json.hpp>

namespace llmgw::gateway {

using Json = nlohmann::json;

std::string EncodeSettleCommand(const SettleCommand& command) {
  Json j = {{"v", 1},
            {"kind", command.kind == SettleCommand::Kind::kVoid ? "void" : "settle"},
            {"request_id", command.request_id}};
  if (command.kind == SettleCommand::Kind::kSettle) {
    j["provider_cost_nano"] = command.provider_cost;
    j["description"] = command.description;
  }
  return j.dump();
}

absl::StatusOr<SettleCommand> DecodeSettleCommand(std::string_view record) {
  Json j = Json::parse(record, nullptr, /*allow_exceptions=*/false);
  auto invalid = [] { return absl::InvalidArgumentError("not a settle journal record"); };
  if (!j.is_object() || j.value("v", 0) != 1) return invalid();
  const auto kind = j.find("kind");
  const auto id = j.find("request_id");
  if (kind == j.end() || !kind->is_string() || id == j.end() || !id->is_string() ||
      id->get_ref<const std::string&>().empty()) {
    return invalid();
  }
  SettleCommand out;
  out.request_id = id->get<std::string>();
  if (*kind == "void") {
    out.kind = SettleCommand::Kind::kVoid;
    return out;
  }
  if (*kind != "settle") return invalid();
  const auto cost = j.find("provider_cost_nano");
  const auto description = j.find("description");
  if (cost == j.end() || !cost->is_number_integer() || cost->get<int64_t>() < 0 ||
      description == j.end() || !description->is_string()) {
    return invalid();
  }
  out.provider_cost = cost->get<int64_t>();
  out.description = description->get<std::string>();
  return out;
}

SettleVerdict JudgeBillingAnswer(SettleCommand::Kind kind, absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return SettleVerdict::kDone;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return kind == SettleCommand::Kind::kVoid ? SettleVerdict::kDone : SettleVerdict::kRefused;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return SettleVerdict::kRefused;
    default:
      return SettleVerdict::kRetry;
  }
}

}  // namespace llmgw::gateway
