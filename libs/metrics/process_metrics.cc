#include "libs/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace llmgw::metrics {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool ParseUint(std::string_view s, uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Entries of /proc/self/fd (the directory's own descriptor included, as other clients count).
int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {m}};
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view line) {
  // "pid (comm) state ppid …": comm is whatever the program named itself, so split after the
  // last ')'. Fields are numbered from 1; the one after ')' is field 3 (state).
  const size_t close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;
  size_t i = close + 1;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\n')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\n') ++j;
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  auto field = [&](int number, uint64_t& out) {
    const size_t index = static_cast<size_t>(number - 3);
    return index < fields.size() && ParseUint(fields[index], out);
  };
  ProcStat s;
  if (!field(14, s.utime_ticks) || !field(15, s.stime_ticks) ||
      !field(22, s.start_ticks_since_boot) || !field(23, s.virtual_bytes) ||
      !field(24, s.resident_pages)) {
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> ParseBootTime(std::string_view text) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.substr(0, 6) == "btime ") {
      uint64_t v = 0;
      if (ParseUint(line.substr(6), v)) return static_cast<int64_t>(v);
      return std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

ProcessCollector::ProcessCollector() {
  const auto stat = ParseProcStat(ReadFile("/proc/self/stat"));
  const auto boot = ParseBootTime(ReadFile("/proc/stat"));
  const long ticks = sysconf(_SC_CLK_TCK);
  if (stat && boot && ticks > 0) {
    start_time_seconds_ = static_cast<double>(*boot) +
                          static_cast<double>(stat->start_ticks_since_boot) / ticks;
  }
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const auto stat = ParseProcStat(ReadFile("/proc/self/stat"));
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  if (stat && ticks > 0 && page > 0) {
    out.push_back(Family("process_cpu_seconds_total", "Total user and system CPU time in seconds",
                         MetricType::Counter,
                         static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks));
    out.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes",
                         MetricType::Gauge,
                         static_cast<double>(stat->resident_pages) * static_cast<double>(page)));
    out.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes",
                         MetricType::Gauge, static_cast<double>(stat->virtual_bytes)));
  }
  if (const int fds = CountOpenFds(); fds >= 0) {
    out.push_back(Family("process_open_fds", "Number of open file descriptors", MetricType::Gauge,
                         fds));
  }
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Family("process_max_fds", "Maximum number of open file descriptors",
                         MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  if (start_time_seconds_ > 0) {
    out.push_back(Family("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds",
                         MetricType::Gauge, start_time_seconds_));
  }
  return out;
}

}  // namespace llmgw::metrics
