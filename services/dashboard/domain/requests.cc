#include "services/dashboard/domain/requests.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {
namespace {

using json = nlohmann::json;

// Keeps the source text of the top-level "amount" member; anything else makes the body invalid.
class AmountSax {
 public:
  std::optional<std::string> amount_text;
  bool amount_not_number = false;
  bool duplicate = false;
  bool top_level_not_object = false;

  bool null() { return Value(false, ""); }
  bool boolean(bool) { return Value(false, ""); }
  bool number_integer(json::number_integer_t v) { return Value(true, std::to_string(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Value(true, std::to_string(v)); }
  bool number_float(json::number_float_t, const json::string_t& raw) { return Value(true, raw); }
  bool string(json::string_t&) { return Value(false, ""); }
  bool binary(json::binary_t&) { return Value(false, ""); }
  bool start_object(std::size_t) {
    if (depth_ == 0) seen_root_ = true;
    MarkContainerValue();
    ++depth_;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 0) top_level_not_object = true;
    MarkContainerValue();
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool key(json::string_t& k) {
    in_amount_ = depth_ == 1 && k == "amount";
    if (in_amount_ && seen_amount_) duplicate = true;
    if (in_amount_) seen_amount_ = true;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
  bool seen_root() const { return seen_root_; }

 private:
  bool Value(bool is_number, std::string text) {
    if (depth_ == 0) {
      top_level_not_object = true;
      return true;
    }
    if (depth_ == 1 && in_amount_) {
      in_amount_ = false;
      if (is_number) {
        amount_text = std::move(text);
      } else {
        amount_not_number = true;
      }
    }
    return true;
  }
  void MarkContainerValue() {
    if (depth_ == 1 && in_amount_) {
      in_amount_ = false;
      amount_not_number = true;
    }
  }
  int depth_ = 0;
  bool in_amount_ = false;
  bool seen_amount_ = false;
  bool seen_root_ = false;
};

absl::StatusOr<json> ParseObject(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  return j;
}

absl::StatusOr<std::string> StringField(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is required and must be a string"));
  }
  return it->get<std::string>();
}

// Code points of valid UTF-8, or -1 when invalid or containing a control character.
int64_t CountChars(std::string_view s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return -1;
    }
    if (len == 1 && (c < 0x20 || c == 0x7F)) return -1;
    i += len;
    ++n;
  }
  return n;
}

}  // namespace

absl::StatusOr<money::Nano> ParseChargeAmount(std::string_view body) {
  AmountSax sax;
  bool ok = json::sax_parse(body.begin(), body.end(), &sax);
  if (!ok || !sax.seen_root() || sax.top_level_not_object) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  if (sax.duplicate) return absl::InvalidArgumentError("amount is given twice");
  if (sax.amount_not_number || !sax.amount_text.has_value()) {
    return absl::InvalidArgumentError("amount is required and must be a JSON number (USD)");
  }
  absl::StatusOr<money::Nano> nano = money::ParseUsd(*sax.amount_text);
  if (!nano.ok()) {
    return absl::InvalidArgumentError(
        "amount must be a positive USD number with at most 9 decimals, without an exponent");
  }
  if (*nano <= 0) return absl::InvalidArgumentError("amount must be greater than 0");
  if (*nano > kMaxChargeNano) {
    return absl::InvalidArgumentError("amount must be at most 1000000 USD");
  }
  return *nano;
}

absl::StatusOr<RegisterInput> ParseRegisterBody(std::string_view body) {
  auto j = ParseObject(body);
  if (!j.ok()) return j.status();
  RegisterInput in;
  auto name = StringField(*j, "name");
  if (!name.ok()) return name.status();
  auto email = StringField(*j, "email");
  if (!email.ok()) return email.status();
  auto password = StringField(*j, "password");
  if (!password.ok()) return password.status();
  in.name = *std::move(name);
  in.email = *std::move(email);
  in.password = *std::move(password);
  return in;
}

absl::StatusOr<LoginInput> ParseLoginBody(std::string_view body) {
  auto j = ParseObject(body);
  if (!j.ok()) return j.status();
  auto email = StringField(*j, "email");
  if (!email.ok()) return email.status();
  auto password = StringField(*j, "password");
  if (!password.ok()) return password.status();
  return LoginInput{*std::move(email), *std::move(password)};
}

absl::StatusOr<std::string> ParseCredentialNameBody(std::string_view body) {
  auto j = ParseObject(body);
  if (!j.ok()) return j.status();
  auto name = StringField(*j, "name");
  if (!name.ok()) return name.status();
  std::string trimmed(absl::StripAsciiWhitespace(*name));
  int64_t chars = CountChars(trimmed);
  if (chars < 1 || chars > static_cast<int64_t>(kMaxCredentialNameChars)) {
    return absl::InvalidArgumentError(
        "name must be 1 to 100 characters of text without control characters");
  }
  return trimmed;
}

absl::StatusOr<int32_t> ParseLimit(const std::optional<std::string>& limit) {
  if (!limit.has_value()) return kDefaultLimit;
  int32_t v = 0;
  const char* begin = limit->data();
  const char* end = begin + limit->size();
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (limit->empty() || ec != std::errc() || ptr != end || v < 1 || v > kMaxLimit) {
    return absl::InvalidArgumentError("limit must be an integer from 1 to 500");
  }
  return v;
}

absl::StatusOr<Bucket> ParseBucket(const std::optional<std::string>& bucket) {
  if (!bucket.has_value() || *bucket == "day") return Bucket::kDay;
  if (*bucket == "hour") return Bucket::kHour;
  return absl::InvalidArgumentError("bucket must be hour or day");
}

absl::StatusOr<int64_t> ParseBefore(const std::optional<std::string>& before) {
  if (!before.has_value()) return 0;
  return ParseRfc3339(*before, "before");
}

absl::StatusOr<UsageQuery> ParseUsageQuery(
    const std::function<std::optional<std::string>(const char*)>& param) {
  UsageQuery q;
  auto limit = ParseLimit(param("limit"));
  if (!limit.ok()) return limit.status();
  q.limit = *limit;
  auto before = ParseBefore(param("before"));
  if (!before.ok()) return before.status();
  q.before_unix_ms = *before;
  auto bad = [](const std::string& message) { return absl::InvalidArgumentError(message); };
  if (auto mode = param("mode"); mode && !mode->empty()) {
    if (*mode == "passthrough") {
      q.mode = Mode::kPassthrough;
    } else if (*mode == "reseller") {
      q.mode = Mode::kReseller;
    } else {
      return bad("mode must be passthrough or reseller");
    }
  }
  for (auto [name, field] : {std::pair{"provider", &q.provider}, std::pair{"model", &q.model}}) {
    std::optional<std::string> value = param(name);
    if (!value) continue;
    if (value->size() > 200) return bad(absl::StrCat(name, " must be at most 200 characters"));
    *field = *value;
  }
  if (auto cred = param("credential_id"); cred && !cred->empty()) {
    if (!IsUuid(*cred)) return bad("credential_id must be a UUID");
    q.credential_id = *cred;
  }
  if (auto status = param("status"); status && !status->empty()) {
    if (*status == "ok") {
      q.status_min = 0;
      q.status_max = 399;
    } else if (*status == "error") {
      q.status_min = 400;
      q.status_max = 999;
    } else if (status->size() == 3 && std::all_of(status->begin(), status->end(), [](char ch) {
                 return ch >= '0' && ch <= '9';
               }) && (*status)[0] != '0') {
      q.status_min = q.status_max = std::stoi(*status);
    } else {
      return bad("status must be ok, error or a three-digit HTTP status");
    }
  }
  if (auto streaming = param("streaming"); streaming && !streaming->empty()) {
    if (*streaming == "true") {
      q.streaming = 1;
    } else if (*streaming == "false") {
      q.streaming = 0;
    } else {
      return bad("streaming must be true or false");
    }
  }
  return q;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace llmgw::dashboard
