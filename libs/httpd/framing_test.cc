#include "libs/httpd/framing.h"

#include <string>

#include "gtest/gtest.h"

namespace llmgw::httpd {
namespace {

TEST(CheckRequestFramingTest, AcceptsOneDecimalContentLengthOrChunked) {
  EXPECT_TRUE(CheckRequestFraming({}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"Content-Length", "0"}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"content-length", "1234"}, {"Host", "h"}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"Transfer-Encoding", "chunked"}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"transfer-encoding", " Chunked "}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"Transfer-Encoding", "chunked,"}}).ok());
}

TEST(HasObsFoldTest, FindsAContinuationLineOnly) {
  EXPECT_FALSE(HasObsFold("POST / HTTP/1.1\r\nHost: h\r\nA: b c\r\n\r\n"));
  EXPECT_TRUE(HasObsFold("POST / HTTP/1.1\r\nHost: h\r\nA: b\r\n c\r\n\r\n"));
  EXPECT_TRUE(HasObsFold("POST / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n"));
  EXPECT_FALSE(HasObsFold(""));
  EXPECT_FALSE(HasObsFold("\r\n"));
}

TEST(CheckRequestFramingTest, RejectsAmbiguousFraming) {
  const std::vector<HeaderList> bad = {
      {{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}},
      {{"content-length", "5"}, {"TRANSFER-ENCODING", "chunked"}},
      {{"Content-Length", "5"}, {"Content-Length", "5"}},
      {{"Content-Length", "5"}, {"content-length", "6"}},
      {{"Content-Length", "abc"}},
      {{"Content-Length", ""}},
      {{"Content-Length", "-1"}},
      {{"Content-Length", "+5"}},
      {{"Content-Length", "5, 5"}},
      {{"Content-Length", "1e3"}},
      {{"Content-Length", "0x10"}},
      {{"Content-Length", "99999999999999999999999"}},
      // Smuggling: a coding list whose last coding is not chunked is not chunked framing.
      {{"Transfer-Encoding", "chunked, identity"}},
      {{"Transfer-Encoding", "xchunked"}},
      {{"Transfer-Encoding", "identity"}},
      {{"Transfer-Encoding", "gzip, chunked"}},
      {{"Transfer-Encoding", "chunked, chunked"}},
      {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
      {{"Transfer-Encoding", "chunked"}, {"transfer-encoding", "identity"}},
      {{"Transfer-Encoding", "chunked;q=1"}},
      {{"Transfer-Encoding", "chunked\x0b"}},
      {{"Transfer-Encoding", ""}},
  };
  for (const HeaderList& h : bad) {
    SCOPED_TRACE(std::string(h[0].first) + ": " + std::string(h[0].second));
    EXPECT_EQ(CheckRequestFraming(h).code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace llmgw::httpd
