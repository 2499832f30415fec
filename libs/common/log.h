#pragma once
// JSON log lines on stderr: {"ts":"…","level":"info","service":"accounts","msg":"…",…fields}.
// Never pass a secret (token, key, password, session) as a field or in a message.

#include <string_view>

#include "nlohmann/json.hpp"

namespace llmgw::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Called once by main(); LLMGW_LOG_LEVEL (debug|info|warn|error) sets the minimum level.
void Init(std::string_view service);

void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json());
inline void Debug(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kError, m, f); }

}  // namespace llmgw::log
