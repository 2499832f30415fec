#include "libs/common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "libs/common/config.h"

namespace llmgw::log {
namespace {

std::string& ServiceName() {
  static std::string name = "llmgw";
  return name;
}
Level& MinLevel() {
  static Level level = Level::kInfo;
  return level;
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

}  // namespace

void Init(std::string_view service) {
  ServiceName() = std::string(service);
  std::string lvl = config::String("LLMGW_LOG_LEVEL", "info");
  if (lvl == "debug") MinLevel() = Level::kDebug;
  if (lvl == "warn") MinLevel() = Level::kWarn;
  if (lvl == "error") MinLevel() = Level::kError;
}

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  if (level < MinLevel()) return;
  nlohmann::json line = {{"ts", NowRfc3339()},
                         {"level", LevelName(level)},
                         {"service", ServiceName()},
                         {"msg", std::string(msg)}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::string out = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.push_back('\n');
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace llmgw::log
