#include "services/gateway/domain/sse.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/gateway/domain/testdata_streams.h"

namespace llmgw::gateway {
namespace {

struct Ev {
  std::string raw, event, data;
  bool comment_only;
  bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  return os << "{raw=" << testing::PrintToString(e.raw) << " event=" << e.event
            << " data=" << testing::PrintToString(e.data) << " comment_only=" << e.comment_only
            << "}";
}

// Feeds `input` cut at `cuts` (sorted offsets), then Finish.
std::vector<Ev> ParseWithCuts(const std::string& input, std::vector<size_t> cuts,
                              std::string* pending = nullptr) {
  std::vector<Ev> out;
  auto on_event = [&](SseEvent&& e) {
    out.push_back({std::move(e.raw), std::move(e.event), std::move(e.data), e.comment_only});
  };
  SseParser parser;
  size_t prev = 0;
  cuts.push_back(input.size());
  for (size_t cut : cuts) {
    parser.Feed(std::string_view(input).substr(prev, cut - prev), on_event);
    prev = cut;
  }
  parser.Finish(on_event);
  if (pending != nullptr) *pending = parser.pending();
  return out;
}

std::vector<Ev> ParseWhole(const std::string& input) { return ParseWithCuts(input, {}); }

std::vector<Ev> ParseByteByByte(const std::string& input) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  return ParseWithCuts(input, cuts);
}

std::string ConcatRaw(const std::vector<Ev>& events) {
  std::string s;
  for (const Ev& e : events) s += e.raw;
  return s;
}

TEST(SseParserTest, FieldsCommentsAndMultilineData) {
  std::string input =
      ": keep-alive\n\n"
      "event: message_start\ndata: {\"a\":1}\n\n"
      "data: line1\ndata:line2\ndata:  indented\ndata\nid: 7\nretry: 100\n\n"
      "event:x\nevent: y\n:comment\ndata: z\n\n";
  std::vector<Ev> want = {
      {": keep-alive\n\n", "", "", true},
      {"event: message_start\ndata: {\"a\":1}\n\n", "message_start", "{\"a\":1}", false},
      {"data: line1\ndata:line2\ndata:  indented\ndata\nid: 7\nretry: 100\n\n", "",
       "line1\nline2\n indented\n", false},
      {"event:x\nevent: y\n:comment\ndata: z\n\n", "y", "z", false},
  };
  EXPECT_EQ(ParseWhole(input), want);
  EXPECT_EQ(ParseByteByByte(input), want);
}

TEST(SseParserTest, ExtraBlankLinesBecomeEmptyEventsSoNoByteIsLost) {
  std::string input = "data: a\n\n\n\r\ndata: b\r\r";
  std::vector<Ev> want = {
      {"data: a\n\n", "", "a", false},
      {"\n", "", "", false},
      {"\r\n", "", "", false},
      {"data: b\r\r", "", "b", false},
  };
  EXPECT_EQ(ParseWhole(input), want);
  EXPECT_EQ(ParseByteByByte(input), want);
}

TEST(SseParserTest, LineEndingsMixedAndCrLfSplitAcrossFeeds) {
  std::string input = "data: 1\r\n\r\ndata: 2\r\rdata: 3\n\r\ndata: 4\r\n\n";
  std::vector<Ev> want = {
      {"data: 1\r\n\r\n", "", "1", false},
      {"data: 2\r\r", "", "2", false},
      {"data: 3\n\r\n", "", "3", false},
      {"data: 4\r\n\n", "", "4", false},
  };
  EXPECT_EQ(ParseWhole(input), want);
  EXPECT_EQ(ParseByteByByte(input), want);
  // The '\r' ends one feed and the '\n' starts the next: one line end, not two.
  std::string crlf = "data: x\r\n\r\ndata: y\r\n\r\n";
  for (size_t cut = 1; cut < crlf.size(); ++cut) {
    SCOPED_TRACE(cut);
    std::vector<Ev> got = ParseWithCuts(crlf, {cut});
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], (Ev{"data: x\r\n\r\n", "", "x", false}));
    EXPECT_EQ(got[1], (Ev{"data: y\r\n\r\n", "", "y", false}));
  }
}

TEST(SseParserTest, BareCrTerminatorWaitsForTheNextByteOrFinish) {
  SseParser parser;
  std::vector<std::string> raws;
  auto on_event = [&](SseEvent&& e) { raws.push_back(e.raw); };
  parser.Feed("data: a\r\r", on_event);
  EXPECT_TRUE(raws.empty());  // a '\n' may still follow
  EXPECT_EQ(parser.pending(), "data: a\r\r");
  parser.Feed("\n", on_event);
  ASSERT_EQ(raws.size(), 1u);
  EXPECT_EQ(raws[0], "data: a\r\r\n");  // ended by "\r" + "\r\n"
  parser.Feed("data: b\r\r", on_event);
  parser.Feed("data: c\n\n", on_event);
  ASSERT_EQ(raws.size(), 3u);
  EXPECT_EQ(raws[1], "data: b\r\r");
  EXPECT_EQ(raws[2], "data: c\n\n");
  parser.Feed("data: d\r\r", on_event);
  parser.Finish(on_event);
  ASSERT_EQ(raws.size(), 4u);
  EXPECT_EQ(raws[3], "data: d\r\r");
  EXPECT_EQ(parser.pending(), "");
}

TEST(SseParserTest, BomAtStreamStartIgnoredButRelayed) {
  std::string input =
      "\xEF\xBB\xBF"
      "data: x\n\n\xEF\xBB\xBF"
      "data: y\n\n";
  std::vector<Ev> want = {
      {"\xEF\xBB\xBF"
       "data: x\n\n",
       "", "x", false},
      // Only at the stream start: later it is part of a field name (an unknown field).
      {"\xEF\xBB\xBF"
       "data: y\n\n",
       "", "", false},
  };
  EXPECT_EQ(ParseWhole(input), want);
  EXPECT_EQ(ParseByteByByte(input), want);
}

TEST(SseParserTest, UnterminatedTailStaysPending) {
  std::string pending;
  std::vector<Ev> got = ParseWithCuts("data: a\n\ndata: b\nevent: c", {12}, &pending);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "a");
  EXPECT_EQ(pending, "data: b\nevent: c");
}

TEST(SseParserTest, LargeEventFedByteByByteIsLinear) {
  // O(n^2) rescanning would take minutes here; the parser must keep up.
  std::string big(400000, 'x');
  std::string input = "data: " + big + "\n\n";
  SseParser parser;
  std::vector<std::string> data;
  for (char c : input) {
    parser.Feed(std::string_view(&c, 1), [&](SseEvent&& e) { data.push_back(e.data); });
  }
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0], big);
}

TEST(EndOfFirstEventTest, JustPastTheFirstBlankLine) {
  EXPECT_EQ(EndOfFirstEvent("data: a\n\ndata: b\n\n"), 9u);
  EXPECT_EQ(EndOfFirstEvent("data: a\r\n\r\ndata: b\n\n"), 11u);
  EXPECT_EQ(EndOfFirstEvent("event: x\ndata: a\n\n"), 18u);
  EXPECT_EQ(EndOfFirstEvent("data: a\n"), 8u);  // no complete event: all of it
  EXPECT_EQ(EndOfFirstEvent(""), 0u);
  // Splitting there changes nothing in what the parser gives.
  const std::string input = "data: a\n\n: ping\n\ndata: b\r\n\r\ndata: c\n\n";
  const size_t cut = EndOfFirstEvent(input);
  EXPECT_EQ(ParseWithCuts(input, {cut}), ParseWhole(input));
}

TEST(SseParserTest, ManyBareCrLinesInOneFeedAreLinear) {
  // Each line ends in a bare '\r' and no '\n' follows anywhere: looking for a '\n' from every
  // line again would scan the rest of the input 200,000 times.
  std::string input;
  for (int i = 0; i < 100000; ++i) input += "data: " + std::to_string(i) + "\r\r";
  std::vector<Ev> events = ParseWhole(input);
  ASSERT_EQ(events.size(), 100000u);
  EXPECT_EQ(events[0].data, "0");
  EXPECT_EQ(events[99999].data, "99999");
  EXPECT_EQ(ConcatRaw(events), input);
}

TEST(SseParserTest, RandomSplitsGiveTheSameEvents) {
  const std::string anthropic =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}"
      "\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  std::vector<std::string> inputs = {testdata::kOpenAIStream, anthropic};
  // CRLF and CR variants of each.
  for (size_t k = 0, n = inputs.size(); k < n; ++k) {
    std::string crlf, cr;
    for (char c : inputs[k]) {
      crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
      cr += c == '\n' ? '\r' : c;
    }
    inputs.push_back(crlf);
    inputs.push_back(cr);
  }
  std::mt19937 rng(12345);
  for (const std::string& input : inputs) {
    std::vector<Ev> whole = ParseWhole(input);
    ASSERT_GE(whole.size(), 3u);
    EXPECT_EQ(ConcatRaw(whole), input);
    EXPECT_EQ(ParseByteByByte(input), whole);
    for (int iter = 0; iter < 300; ++iter) {
      std::uniform_int_distribution<size_t> count(1, 12);
      std::uniform_int_distribution<size_t> pos(0, input.size());
      std::vector<size_t> cuts;
      for (size_t c = count(rng); c > 0; --c) cuts.push_back(pos(rng));
      std::sort(cuts.begin(), cuts.end());
      ASSERT_EQ(ParseWithCuts(input, cuts), whole) << "iteration " << iter;
    }
  }
}

}  // namespace
}  // namespace llmgw::gateway
