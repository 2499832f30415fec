#include "services/billing/api/prices_command.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/pg_test_db.h"
#include "nlohmann/json.hpp"

namespace llmgw::billing {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

class PricesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = llmgw::test::PgTestDb::Create();
    setenv("LLMGW_DATABASE_URL", db_->url().c_str(), 1);
    csv_ = ::testing::TempDir() + "/prices_command_test.csv";
  }
  void TearDown() override { unsetenv("LLMGW_DATABASE_URL"); }

  int Run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    return RunPricesCommand(args, out_, err_);
  }
  std::vector<json> Lines() {
    std::vector<json> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  void WriteCsv(const std::string& text) { std::ofstream(csv_) << text; }

  std::unique_ptr<llmgw::test::PgTestDb> db_;
  std::ostringstream out_, err_;
  std::string csv_;
};

TEST_F(PricesCommandTest, SetAddsADatedRowWithWhoAndListShowsIt) {
  ASSERT_EQ(
      Run({"set", "--provider", "openai", "--model", "ft:gpt-4.1:acme", "--input", "3",
           "--cached-input", "0.75", "--output", "12", "--max-output-tokens", "32768",
           "--effective-from", "2030-01-01T00:00:00Z", "--set-by", "alice", "--note", "fine-tune"}),
      0)
      << err_.str();
  std::vector<json> set = Lines();
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0]["origin"], "override");
  EXPECT_EQ(set[0]["input_usd_per_mtok"], "3.000000000");
  EXPECT_EQ(set[0]["cached_input_usd_per_mtok"], "0.750000000");
  EXPECT_EQ(set[0]["effective_from"], "2030-01-01T00:00:00Z");
  EXPECT_EQ(set[0]["set_by"], "alice");
  EXPECT_EQ(set[0]["note"], "fine-tune");
  // Scheduled: listed among today's rows (after the seeds) until it takes effect.
  ASSERT_EQ(Run({"list", "--model", "ft:gpt-4.1:acme"}), 0) << err_.str();
  ASSERT_EQ(Lines().size(), 1u);
  EXPECT_EQ(Lines()[0]["price_id"], set[0]["price_id"]);
  ASSERT_EQ(Run({"list"}), 0);
  EXPECT_EQ(Lines().size(), 8u);  // 7 seed rows (no catalog: billing serve loads it) + 1
}

TEST_F(PricesCommandTest, BadArgumentsAreRefusedWithTheReason) {
  EXPECT_EQ(Run({"set", "--provider", "openai", "--model", "x", "--input", "1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--input and --output are required"));
  EXPECT_EQ(Run({"set", "--provider", "mistral", "--model", "x", "--input", "1", "--output", "1"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("provider must be one of"));
  EXPECT_EQ(Run({"set", "--provider", "openai", "--model", "x", "--input", "-1", "--output", "1"}),
            2);
  EXPECT_EQ(Run({"set", "--bogus", "1"}), 2);
  EXPECT_EQ(Run({"delete"}), 2);
  EXPECT_EQ(Run({"list", "--history"}), 2);  // needs --provider and --model
}

TEST_F(PricesCommandTest, ImportIsAllOrNothingAndNamesTheBadLine) {
  WriteCsv(std::string(kPriceCsvHeader) +
           "\nopenai,gpt-x,1,0.1,,,4,1000,,first\n"
           "anthropic,claude-x,3,0.3,3.75,6,15,64000,2030-01-01T00:00:00Z,second\n"
           "google,gemini-x,abc,,,,1,,,bad price\n");
  EXPECT_EQ(Run({"import", csv_}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("prices_command_test.csv:4:"));
  ASSERT_EQ(Run({"list"}), 0);
  EXPECT_EQ(Lines().size(), 7u);  // nothing imported
  WriteCsv(std::string(kPriceCsvHeader) +
           "\r\nopenai,gpt-x,1,0.1,,,4,1000,,first\r\n"
           "anthropic,claude-x,3,0.3,3.75,6,15,64000,2030-01-01T00:00:00Z,second\r\n");
  ASSERT_EQ(Run({"import", csv_, "--set-by", "ops"}), 0) << err_.str();
  std::vector<json> rows = Lines();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["cache_write_1h_usd_per_mtok"], "6.000000000");
  EXPECT_EQ(rows[1]["set_by"], "ops");
  WriteCsv("provider,model\nopenai,x\n");
  EXPECT_EQ(Run({"import", csv_}), 2);
  EXPECT_THAT(err_.str(), HasSubstr(":1: the header must be"));
}

}  // namespace
}  // namespace llmgw::billing
