#include "services/billing/api/prices_command.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/money.h"
#include "libs/common/rfc3339.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "nlohmann/json.hpp"
#include "services/billing/api/topup_command.h"
#include "services/billing/domain/price_catalog.h"
#include "services/billing/storage/pg_billing_store.h"

namespace llmgw::billing {
namespace {

using Flags = std::map<std::string, std::string>;

nlohmann::ordered_json RowJson(const PriceRow& p) {
  auto usd = [](Nano n) { return money::FormatUsd(n); };
  nlohmann::ordered_json j = {
      {"price_id", p.id},
      {"provider", p.provider},
      {"model", p.model},
      {"origin", p.origin},
      {"effective_from", FormatRfc3339(p.effective_from_unix_ms)},
      {"input_usd_per_mtok", usd(p.input_nano_per_mtok)},
      {"cached_input_usd_per_mtok", usd(p.cached_input_nano_per_mtok)},
      {"cache_write_usd_per_mtok", usd(p.cache_write_nano_per_mtok)},
      {"cache_write_1h_usd_per_mtok", usd(p.cache_write_1h_nano_per_mtok)},
      {"output_usd_per_mtok", usd(p.output_nano_per_mtok)},
      {"max_output_tokens", p.max_output_tokens},
      {"kind", p.kind},
  };
  if (p.tier_above_input_tokens > 0) {
    j["tier"] = {{"above_input_tokens", p.tier_above_input_tokens},
                 {"input_usd_per_mtok", usd(p.tier_input_nano_per_mtok)},
                 {"cached_input_usd_per_mtok", usd(p.tier_cached_input_nano_per_mtok)},
                 {"cache_write_usd_per_mtok", usd(p.tier_cache_write_nano_per_mtok)},
                 {"cache_write_1h_usd_per_mtok", usd(p.tier_cache_write_1h_nano_per_mtok)},
                 {"output_usd_per_mtok", usd(p.tier_output_nano_per_mtok)}};
  }
  if (!p.catalog_version.empty()) j["catalog_version"] = p.catalog_version;
  if (!p.set_by.empty()) j["set_by"] = p.set_by;
  if (!p.note.empty()) j["note"] = p.note;
  return j;
}

// "--name value" / "--name=value" pairs and the positional arguments; an error names the problem.
absl::Status ParseArgs(const std::vector<std::string>& args, const std::vector<std::string>& known,
                       Flags& flags, std::vector<std::string>& positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) != 0) {
      positional.push_back(name);
      continue;
    }
    std::string value;
    const bool boolean = name == "--history";
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (!boolean) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(name + " needs a value");
      value = args[++i];
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError("unknown flag " + name);
    }
    if (flags.count(name)) return absl::InvalidArgumentError(name + " given twice");
    flags[name] = value;
  }
  return absl::OkStatus();
}

// A USD-per-1M-tokens amount ("2.50") into nano-USD per 1M tokens; "" is 0.
absl::Status SetUsd(const std::string& field, const std::string& text, Nano* out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<Nano> v = money::ParseUsd(text);
  if (!v.ok()) return absl::InvalidArgumentError(field + ": " + std::string(v.status().message()));
  *out = *v;
  return absl::OkStatus();
}

absl::Status SetInt(const std::string& field, const std::string& text, int64_t* out) {
  if (text.empty()) return absl::OkStatus();
  if (!absl::SimpleAtoi(text, out) || *out < 0) {
    return absl::InvalidArgumentError(field + " must be a non-negative integer");
  }
  return absl::OkStatus();
}

absl::Status SetTime(const std::string& field, const std::string& text, int64_t* out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<int64_t> ms = ParseRfc3339(text, field);
  if (!ms.ok()) return ms.status();
  *out = *ms;
  return absl::OkStatus();
}

absl::StatusOr<PriceRow> RowFromFlags(Flags& f) {
  PriceRow r;
  r.provider = f["--provider"];
  r.model = f["--model"];
  if (!f.count("--input") || !f.count("--output")) {
    return absl::InvalidArgumentError("--input and --output are required");
  }
  struct Usd {
    const char* flag;
    Nano* out;
  };
  for (Usd u :
       {Usd{"--input", &r.input_nano_per_mtok},
        Usd{"--cached-input", &r.cached_input_nano_per_mtok},
        Usd{"--cache-write", &r.cache_write_nano_per_mtok},
        Usd{"--cache-write-1h", &r.cache_write_1h_nano_per_mtok},
        Usd{"--output", &r.output_nano_per_mtok}, Usd{"--tier-input", &r.tier_input_nano_per_mtok},
        Usd{"--tier-cached-input", &r.tier_cached_input_nano_per_mtok},
        Usd{"--tier-cache-write", &r.tier_cache_write_nano_per_mtok},
        Usd{"--tier-cache-write-1h", &r.tier_cache_write_1h_nano_per_mtok},
        Usd{"--tier-output", &r.tier_output_nano_per_mtok}}) {
    if (auto it = f.find(u.flag); it != f.end()) {
      if (absl::Status s = SetUsd(u.flag, it->second, u.out); !s.ok()) return s;
    }
  }
  if (absl::Status s =
          SetInt("--max-output-tokens", f["--max-output-tokens"], &r.max_output_tokens);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SetInt("--tier-above-input-tokens", f["--tier-above-input-tokens"],
                              &r.tier_above_input_tokens);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          SetTime("--effective-from", f["--effective-from"], &r.effective_from_unix_ms);
      !s.ok()) {
    return s;
  }
  if (!f["--kind"].empty()) r.kind = f["--kind"];
  return r;
}

// One CSV line of kPriceCsvHeader's columns (no quoting: none of the fields needs a comma).
absl::StatusOr<PriceRow> RowFromCsv(const std::string& line) {
  std::vector<std::string> c = absl::StrSplit(line, ',');
  if (c.size() != 10) return absl::InvalidArgumentError("expected 10 columns");
  PriceRow r;
  r.provider = c[0];
  r.model = c[1];
  if (c[2].empty() || c[6].empty()) return absl::InvalidArgumentError("input and output required");
  struct Usd {
    const char* name;
    const std::string& text;
    Nano* out;
  };
  for (Usd u : {Usd{"input", c[2], &r.input_nano_per_mtok},
                Usd{"cached_input", c[3], &r.cached_input_nano_per_mtok},
                Usd{"cache_write", c[4], &r.cache_write_nano_per_mtok},
                Usd{"cache_write_1h", c[5], &r.cache_write_1h_nano_per_mtok},
                Usd{"output", c[6], &r.output_nano_per_mtok}}) {
    if (absl::Status s = SetUsd(u.name, u.text, u.out); !s.ok()) return s;
  }
  if (absl::Status s = SetInt("max_output_tokens", c[7], &r.max_output_tokens); !s.ok()) return s;
  if (absl::Status s = SetTime("effective_from", c[8], &r.effective_from_unix_ms); !s.ok()) {
    return s;
  }
  r.note = c[9];
  return r;
}

absl::StatusOr<std::vector<PriceRow>> RowsFromCsvFile(const std::string& path, std::string set_by,
                                                      int64_t now) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError("cannot read " + path);
  std::string line;
  if (!std::getline(in, line) || absl::StripAsciiWhitespace(line) != kPriceCsvHeader) {
    return absl::InvalidArgumentError(path + ":1: the header must be " +
                                      std::string(kPriceCsvHeader));
  }
  std::vector<PriceRow> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    absl::StatusOr<PriceRow> row = RowFromCsv(line);
    if (row.ok()) {
      const std::string note = row->note;
      row = MakeOverride(*std::move(row), set_by, note, now);
    }
    if (!row.ok()) {
      return absl::InvalidArgumentError(path + ":" + std::to_string(n) + ": " +
                                        std::string(row.status().message()));
    }
    rows.push_back(*std::move(row));
  }
  if (rows.empty()) return absl::InvalidArgumentError(path + ": no price rows");
  return rows;
}

std::string DefaultSetBy() {
  const char* user = std::getenv("USER");
  return std::string(user != nullptr && *user ? user : "operator") + " (llmgw-billing prices)";
}

int Fail(std::ostream& err, const absl::Status& s) {
  err << "llmgw-billing prices: " << s.message() << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ||
                 s.code() == absl::StatusCode::kAlreadyExists
             ? kExitUsage
             : kExitFailure;
}

int RunWithStore(PgBillingStore& store, const std::string& verb, Flags& flags,
                 const std::vector<std::string>& positional, std::ostream& out, std::ostream& err) {
  const int64_t now = SystemClock::Get().NowUnixMs();
  std::vector<PriceRow> rows;
  if (verb == "list") {
    auto keep = [&](const PriceRow& p) {
      return (flags["--provider"].empty() || p.provider == flags["--provider"]) &&
             (flags["--model"].empty() || p.model == flags["--model"]);
    };
    if (flags.count("--history")) {
      if (flags["--provider"].empty() || flags["--model"].empty()) {
        return Fail(err, absl::InvalidArgumentError("--history needs --provider and --model"));
      }
      auto history = store.ListPriceHistory(flags["--provider"], flags["--model"]);
      if (!history.ok()) return Fail(err, history.status());
      rows = *std::move(history);
    } else {
      for (auto list : {store.ListPrices(now), store.ListScheduledPrices(now)}) {
        if (!list.ok()) return Fail(err, list.status());
        for (PriceRow& p : *list) {
          if (keep(p)) rows.push_back(std::move(p));
        }
      }
    }
  } else {
    absl::StatusOr<std::vector<PriceRow>> wanted;
    const std::string set_by = flags.count("--set-by") ? flags["--set-by"] : DefaultSetBy();
    if (verb == "set") {
      absl::StatusOr<PriceRow> row = RowFromFlags(flags);
      if (row.ok()) row = MakeOverride(*std::move(row), set_by, flags["--note"], now);
      if (!row.ok()) return Fail(err, row.status());
      wanted = std::vector<PriceRow>{*std::move(row)};
    } else {
      if (positional.size() != 1) {
        return Fail(err, absl::InvalidArgumentError("import takes one CSV file"));
      }
      wanted = RowsFromCsvFile(positional[0], set_by, now);
    }
    if (!wanted.ok()) return Fail(err, wanted.status());
    auto stored = store.AddPrices(*wanted);
    if (!stored.ok()) return Fail(err, stored.status());
    rows = *std::move(stored);
  }
  for (const PriceRow& p : rows) out << RowJson(p).dump() << "\n";
  return kExitOk;
}

}  // namespace

int RunPricesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  static const std::map<std::string, std::vector<std::string>> kFlags = {
      {"list", {"--provider", "--model", "--history"}},
      {"set",
       {"--provider", "--model", "--input", "--cached-input", "--cache-write", "--cache-write-1h",
        "--output", "--max-output-tokens", "--kind", "--tier-above-input-tokens", "--tier-input",
        "--tier-cached-input", "--tier-cache-write", "--tier-cache-write-1h", "--tier-output",
        "--effective-from", "--set-by", "--note"}},
      {"import", {"--set-by"}},
  };
  if (args.empty() || !kFlags.count(args[0])) {
    err << "llmgw-billing prices: expected list, set or import\n" << Usage();
    return kExitUsage;
  }
  Flags flags;
  std::vector<std::string> positional;
  if (absl::Status s =
          ParseArgs({args.begin() + 1, args.end()}, kFlags.at(args[0]), flags, positional);
      !s.ok()) {
    err << "llmgw-billing prices " << args[0] << ": " << s.message() << "\n" << Usage();
    return kExitUsage;
  }
  if (args[0] != "import" && !positional.empty()) {
    err << "llmgw-billing prices: unexpected argument \"" << positional[0] << "\"\n";
    return kExitUsage;
  }
  absl::StatusOr<std::string> url = config::DatabaseUrl();
  if (!url.ok()) return Fail(err, absl::InvalidArgumentError(url.status().message()));
  if (absl::Status s = pg::WaitForDatabase(*url, std::chrono::seconds(10)); !s.ok()) {
    return Fail(err, s);
  }
  auto pool = pg::PgPool::Create({.url = *url, .size = 1});
  if (!pool.ok()) return Fail(err, pool.status());
  if (absl::Status s = pg::ApplyMigrations(**pool, "billing", billingMigrations()); !s.ok()) {
    return Fail(err, s);
  }
  PgBillingStore store(**pool);
  return RunWithStore(store, args[0], flags, positional, out, err);
}

}  // namespace llmgw::billing
