#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace llmgw {

// Logic takes time from a Clock&, never from now(), so tests can move it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  int64_t NowUnixMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_ms = 1'700'000'000'000) : unix_ms_(unix_ms) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms_.load()));
  }
  void Advance(std::chrono::milliseconds d) { unix_ms_ += d.count(); }
  void SetUnixMs(int64_t ms) { unix_ms_ = ms; }

 private:
  std::atomic<int64_t> unix_ms_;
};

}  // namespace llmgw
