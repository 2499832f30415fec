#include <future>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::pg {
namespace {

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, test::IsOk());
    pool_ = std::move(*pool);
  }
  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<PgPool> pool_;
};

const std::vector<Migration> kMigrations = {
    {1, "create",
     "CREATE TABLE things (id bigint PRIMARY KEY, n integer NOT NULL CHECK (n >= 0));"},
    {2, "seed", "INSERT INTO things VALUES (1, 10);"},
};

TEST_F(PgTest, MigrationsApplyOnceEvenWhenReplicasStartTogether) {
  std::vector<std::future<std::pair<absl::Status, int>>> starts;
  for (int i = 0; i < 4; ++i) {
    starts.push_back(std::async(std::launch::async, [&] {
      int applied = -1;
      absl::Status s = ApplyMigrations(*pool_, "demo", kMigrations, &applied);
      return std::make_pair(s, applied);
    }));
  }
  int total = 0;
  for (auto& f : starts) {
    auto [s, applied] = f.get();
    ASSERT_THAT(s, test::IsOk());
    total += applied;
  }
  EXPECT_EQ(total, 2);  // two versions, applied by exactly one replica
  auto rows = pool_->Run([](pqxx::connection& c) -> absl::StatusOr<int64_t> {
    pqxx::work tx(c);
    return tx.exec("SELECT count(*) FROM demo.things")[0][0].as<int64_t>();
  });
  EXPECT_THAT(rows, test::IsOkAndHolds(1));

  // A later migration is applied alone on the next start.
  auto more = kMigrations;
  more.push_back({3, "more", "INSERT INTO things VALUES (2, 20);"});
  int applied = 0;
  ASSERT_THAT(ApplyMigrations(*pool_, "demo", more, &applied), test::IsOk());
  EXPECT_EQ(applied, 1);
}

TEST_F(PgTest, ExceptionsBecomeStatusCodes) {
  ASSERT_THAT(ApplyMigrations(*pool_, "demo", kMigrations), test::IsOk());
  auto exec = [&](const std::string& sql) {
    return pool_->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::work tx(c);
      tx.exec(sql);
      tx.commit();
      return absl::OkStatus();
    });
  };
  EXPECT_THAT(exec("INSERT INTO demo.things VALUES (1, 1)"),
              test::StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(exec("INSERT INTO demo.things VALUES (9, -1)"),
              test::StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(exec("SELECT * FROM demo.nope"), test::StatusIs(absl::StatusCode::kInternal));
  // The pool still works after errors.
  EXPECT_THAT(exec("INSERT INTO demo.things VALUES (3, 3)"), test::IsOk());
}

TEST_F(PgTest, BrokenConnectionIsUnavailableAndReplaced) {
  auto kill_self = pool_->Run(
      [](pqxx::connection& c) -> absl::Status {
        pqxx::nontransaction tx(c);
        tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
        return absl::OkStatus();
      },
      /*attempts=*/1);
  EXPECT_THAT(kill_self, test::StatusIs(absl::StatusCode::kUnavailable));
  auto ok = pool_->Run([](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::work tx(c);
    return tx.exec("SELECT 1")[0][0].as<int>();
  });
  EXPECT_THAT(ok, test::IsOkAndHolds(1));
}

TEST_F(PgTest, PoolBoundsConcurrency) {
  std::atomic<int> in_flight{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto s = pool_->Run([&](pqxx::connection& c) -> absl::Status {
        int now = ++in_flight;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        pqxx::work tx(c);
        tx.exec("SELECT pg_sleep(0.02)");
        --in_flight;
        return absl::OkStatus();
      });
      EXPECT_THAT(s, test::IsOk());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 4);
  EXPECT_GE(peak.load(), 2);
}

TEST(PgPoolCreate, UnreachableServerIsUnavailableWithoutEchoingTheUrl) {
  auto pool = PgPool::Create({.url = "postgresql://u:secretpw@127.0.0.1:1/x?connect_timeout=2"});
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(pool.status().message()), testing::Not(testing::HasSubstr("secretpw")));
}

}  // namespace
}  // namespace llmgw::pg
