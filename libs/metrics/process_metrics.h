#pragma once
// The standard Prometheus process metrics (the names every client library exports, so stock
// dashboards and alerts work): process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
// Read from /proc/self at scrape time. MetricsServer registers one in every service.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace llmgw::metrics {

// The fields of /proc/<pid>/stat that the metrics need, in the kernel's units.
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t start_ticks_since_boot = 0;
  uint64_t virtual_bytes = 0;
  uint64_t resident_pages = 0;
};

// Parses the one line of /proc/<pid>/stat (the command name may hold spaces and parentheses);
// nullopt when it is not one.
std::optional<ProcStat> ParseProcStat(std::string_view line);
// The `btime` (boot time, Unix seconds) of /proc/stat's text; nullopt without one.
std::optional<int64_t> ParseBootTime(std::string_view proc_stat_text);

class ProcessCollector : public prometheus::Collectable {
 public:
  ProcessCollector();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double start_time_seconds_ = 0;  // fixed for the life of the process: read once
};

}  // namespace llmgw::metrics
