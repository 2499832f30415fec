#include "libs/metrics/process_metrics.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

namespace llmgw::metrics {
namespace {

TEST(ParseProcStat, ReadsTheFieldsAfterACommandNameWithSpacesAndParens) {
  // A real line's shape, with a command name that a naive split would get wrong.
  const std::string line =
      "4242 (llmgw) (x y) S 1 4242 4242 0 -1 4194560 1234 0 5 0 "
      "150 37 0 0 20 0 9 0 987654 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 "
      "17922 0 0 0 17 1 0 0 0 0 0\n";
  auto s = ParseProcStat(line);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->utime_ticks, 150u);
  EXPECT_EQ(s->stime_ticks, 37u);
  EXPECT_EQ(s->start_ticks_since_boot, 987654u);
  EXPECT_EQ(s->virtual_bytes, 123456789u);
  EXPECT_EQ(s->resident_pages, 2048u);
}

TEST(ParseProcStat, RefusesWhatIsNotAStatLine) {
  EXPECT_FALSE(ParseProcStat("").has_value());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2 3").has_value());
  EXPECT_FALSE(ParseProcStat("no parenthesis at all 1 2 3 4 5 6 7 8 9 10 11 12 13").has_value());
}

TEST(ParseBootTime, FindsBtime) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000);
  EXPECT_FALSE(ParseBootTime("cpu  1 2 3\n").has_value());
}

std::map<std::string, double> Collected() {
  std::map<std::string, double> out;
  for (const auto& f : ProcessCollector().Collect()) {
    EXPECT_EQ(f.metric.size(), 1u) << f.name;
    const auto& m = f.metric.front();
    out[f.name] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return out;
}

TEST(ProcessCollector, ExportsTheStandardProcessMetricsOfThisProcess) {
  auto m = Collected();
  EXPECT_THAT(m, testing::SizeIs(6));
  EXPECT_GT(m["process_resident_memory_bytes"], 1 << 20);
  EXPECT_GE(m["process_virtual_memory_bytes"], m["process_resident_memory_bytes"]);
  EXPECT_GE(m["process_cpu_seconds_total"], 0);
  EXPECT_GT(m["process_max_fds"], m["process_open_fds"]);
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  // This test process started a moment ago (boot time has one-second resolution).
  EXPECT_LE(m["process_start_time_seconds"], now + 1);
  EXPECT_GT(m["process_start_time_seconds"], now - 600);
}

TEST(ProcessCollector, CountsADescriptorThisProcessOpens) {
  const double before = Collected()["process_open_fds"];
  const int fd = open("/proc/self/stat", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(Collected()["process_open_fds"], before + 1);
  close(fd);
  EXPECT_EQ(Collected()["process_open_fds"], before);
}

}  // namespace
}  // namespace llmgw::metrics
