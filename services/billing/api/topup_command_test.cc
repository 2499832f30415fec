#include "services/billing/api/topup_command.h"

#include <cstdlib>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/pool.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "nlohmann/json.hpp"
#include "services/billing/storage/billing_invariants.h"

namespace llmgw::billing {
namespace {

using ::testing::HasSubstr;

constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";

class TopupCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = llmgw::test::PgTestDb::Create();
    setenv("LLMGW_DATABASE_URL", db_->url().c_str(), 1);
  }
  void TearDown() override { unsetenv("LLMGW_DATABASE_URL"); }

  int Run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    return RunTopupCommand(args, out_, err_);
  }

  std::unique_ptr<llmgw::test::PgTestDb> db_;
  std::ostringstream out_, err_;
};

TEST_F(TopupCommandTest, CreditsOnceAndPrintsTheBalance) {
  ASSERT_EQ(Run({"--org", kOrg, "--amount", "12.5", "--key", "ops-1", "--description", "wire"}), 0)
      << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["organization_id"], kOrg);
  EXPECT_EQ(j["balance_nano"], 12'500'000'000);
  EXPECT_EQ(j["balance_usd"], "12.500000000");
  EXPECT_EQ(j["replayed"], false);

  ASSERT_EQ(Run({"--org", kOrg, "--amount", "12.5", "--key", "ops-1"}), 0) << err_.str();
  j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["balance_nano"], 12'500'000'000);
  EXPECT_EQ(j["replayed"], true);

  ASSERT_EQ(Run({"--org=" + std::string(kOrg), "--amount=0.000000001"}), 0) << err_.str();
  j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["balance_nano"], 12'500'000'001);

  auto pool = pg::PgPool::Create({.url = db_->url(), .size = 1});
  ASSERT_THAT(pool, llmgw::test::IsOk());
  EXPECT_THAT(test::CheckInvariants(**pool), llmgw::test::IsOk());
}

TEST_F(TopupCommandTest, BadArgumentsExitTwoWithUsage) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"--org", kOrg},
      {"--amount", "1"},
      {"--org", "acme", "--amount", "1"},
      {"--org", kOrg, "--amount", "0"},
      {"--org", kOrg, "--amount", "-1"},
      {"--org", kOrg, "--amount", "1.0000000001"},
      {"--org", kOrg, "--amount", "ten"},
      {"--org", kOrg, "--amount", "1", "--bogus", "x"},
      {"--org", kOrg, "--amount"},
      {"--org", kOrg, "--amount", "1", "extra"},
  };
  for (const auto& args : bad) {
    EXPECT_EQ(Run(args), 2) << ::testing::PrintToString(args);
    EXPECT_THAT(err_.str(), HasSubstr("usage:"));
    EXPECT_EQ(out_.str(), "");
  }
}

TEST_F(TopupCommandTest, MissingDatabaseUrlIsAConfigurationError) {
  unsetenv("LLMGW_DATABASE_URL");
  EXPECT_EQ(Run({"--org", kOrg, "--amount", "1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("LLMGW_DATABASE_URL"));
}

}  // namespace
}  // namespace llmgw::billing
