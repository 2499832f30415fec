#include "services/gateway/domain/price_table.h"

#include <algorithm>

namespace llmgw::gateway {

namespace {

constexpr size_t kMaxMemo = 16384;

bool Digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YYYY-MM-DD or YYYYMMDD, digits only (the calendar is not checked: a snapshot id is a name).
bool IsDate(std::string_view s) {
  if (s.size() == 8) return Digits(s);
  return s.size() == 10 && s[4] == '-' && s[7] == '-' && Digits(s.substr(0, 4)) &&
         Digits(s.substr(5, 2)) && Digits(s.substr(8, 2));
}

// "claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5-2025-09-29": the catalog writes some dated
// snapshots with dashes. Only a plausible date (20YY, month 01-12, day 01-31) followed by the end,
// '-' or ':' is rewritten; "" when nothing is.
std::string DashedDates(std::string_view model) {
  std::string out;
  bool changed = false;
  size_t i = 0;
  while (i < model.size()) {
    const bool at_date = model[i] == '-' && i + 9 <= model.size() &&
                         Digits(model.substr(i + 1, 8)) && model.substr(i + 1, 2) == "20" &&
                         (i + 9 == model.size() || model[i + 9] == '-' || model[i + 9] == ':');
    if (at_date) {
      const int month = (model[i + 5] - '0') * 10 + (model[i + 6] - '0');
      const int day = (model[i + 7] - '0') * 10 + (model[i + 8] - '0');
      if (month >= 1 && month <= 12 && day >= 1 && day <= 31) {
        out.append("-").append(model.substr(i + 1, 4)).append("-");
        out.append(model.substr(i + 5, 2)).append("-").append(model.substr(i + 7, 2));
        i += 9;
        changed = true;
        continue;
      }
    }
    out.push_back(model[i++]);
  }
  return changed ? out : std::string();
}

}  // namespace

money::Nano PriceOf(const money::TokenCounts& tokens, const PricedModel& m) {
  return PriceRequest(tokens, m.price, m.tier);
}

const PricedModel* PriceTable::Entry::At(int64_t at_unix_ms) const {
  const PricedModel* found = nullptr;
  for (const PricedModel& r : rows) {
    if (r.effective_from_unix_ms > at_unix_ms) break;
    found = &r;
  }
  return found;
}

PriceTable::PriceTable(const std::vector<PricedModel>& rows) {
  std::map<std::string, std::map<std::string, Entry>> catalog;  // provider -> id -> entry
  for (const PricedModel& m : rows) {
    if (m.provider.empty() || m.model.empty()) continue;
    ProviderRows& p = by_provider_[m.provider];
    Entry* e = nullptr;
    // A catalog row without a matcher (it did not parse) matches its id exactly, as a seed does.
    PriceOrigin origin = m.origin;
    if (origin == PriceOrigin::kCatalog && m.matcher == nullptr) origin = PriceOrigin::kSeed;
    switch (origin) {
      case PriceOrigin::kOverride:
        e = &p.overrides[m.model];
        break;
      case PriceOrigin::kCatalog:
        e = &catalog[m.provider][m.model];
        break;
      case PriceOrigin::kSeed:
        e = &p.seeds[m.model];
        break;
    }
    if (e->rows.empty()) ++size_;
    e->rows.push_back(m);
  }
  auto by_time = [](const PricedModel& a, const PricedModel& b) {
    return a.effective_from_unix_ms < b.effective_from_unix_ms;
  };
  for (auto& [provider, entries] : catalog) {
    std::vector<Entry>& out = by_provider_[provider].catalog;
    for (auto& [id, e] : entries) out.push_back(std::move(e));
    for (Entry& e : out) std::stable_sort(e.rows.begin(), e.rows.end(), by_time);
    // The newest row's rank: a later catalog version may reorder its models.
    std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
      return a.rows.back().rank < b.rows.back().rank;
    });
  }
  for (auto& [provider, p] : by_provider_) {
    for (auto* m : {&p.overrides, &p.seeds}) {
      for (auto& [id, e] : *m) std::stable_sort(e.rows.begin(), e.rows.end(), by_time);
    }
  }
}

PriceTable::PriceTable(PriceTable&& o) noexcept
    : by_provider_(std::move(o.by_provider_)), size_(o.size_) {}

PriceTable& PriceTable::operator=(PriceTable&& o) noexcept {
  by_provider_ = std::move(o.by_provider_);
  size_ = o.size_;
  std::lock_guard lock(memo_mu_);
  memo_.clear();
  return *this;
}

const PriceTable::Entry* PriceTable::FindExact(
    const std::map<std::string, Entry, std::less<>>& entries, std::string_view model) {
  if (auto it = entries.find(model); it != entries.end()) return &it->second;
  // A dated snapshot of an exact-id row: "<base>-YYYY-MM-DD" or "<base>-YYYYMMDD".
  for (size_t date_size : {size_t{10}, size_t{8}}) {
    if (model.size() < date_size + 2) continue;
    const size_t dash = model.size() - date_size - 1;
    if (model[dash] != '-' || !IsDate(model.substr(dash + 1))) continue;
    if (auto it = entries.find(model.substr(0, dash)); it != entries.end()) return &it->second;
  }
  return nullptr;
}

const PriceTable::Entry* PriceTable::FindCatalog(std::string_view provider,
                                                 const ProviderRows& rows,
                                                 std::string_view model) const {
  if (rows.catalog.empty()) return nullptr;
  std::string key;
  key.reserve(provider.size() + 1 + model.size());
  key.append(provider).append("\n").append(model);
  {
    std::lock_guard lock(memo_mu_);
    if (auto it = memo_.find(key); it != memo_.end()) {
      return it->second < 0 ? nullptr : &rows.catalog[it->second];
    }
  }
  auto first_match = [&](std::string_view id) -> int {
    for (size_t i = 0; i < rows.catalog.size(); ++i) {
      const PricedModel& newest = rows.catalog[i].rows.back();
      if (newest.matcher != nullptr && newest.matcher->Matches(id)) return static_cast<int>(i);
    }
    return -1;
  };
  int index = first_match(model);
  if (index < 0) {
    if (std::string dashed = DashedDates(model); !dashed.empty()) index = first_match(dashed);
  }
  {
    std::lock_guard lock(memo_mu_);
    if (memo_.size() < kMaxMemo) memo_.emplace(std::move(key), index);
  }
  return index < 0 ? nullptr : &rows.catalog[index];
}

const PricedModel* PriceTable::Find(std::string_view provider, std::string_view model,
                                    int64_t at_unix_ms) const {
  auto p = by_provider_.find(provider);
  if (p == by_provider_.end() || model.empty()) return nullptr;
  const ProviderRows& rows = p->second;
  for (const Entry* e : {FindExact(rows.overrides, model), FindCatalog(provider, rows, model),
                         FindExact(rows.seeds, model)}) {
    if (e == nullptr) continue;
    if (const PricedModel* m = e->At(at_unix_ms)) return m;
  }
  return nullptr;
}

std::vector<const PricedModel*> PriceTable::Models(int64_t at_unix_ms) const {
  std::vector<const PricedModel*> out;
  out.reserve(size_);
  auto add = [&](const Entry& e) {
    if (const PricedModel* m = e.At(at_unix_ms)) out.push_back(m);
  };
  for (const auto& [provider, rows] : by_provider_) {
    for (const auto& [id, e] : rows.overrides) add(e);
    for (const Entry& e : rows.catalog) add(e);
    for (const auto& [id, e] : rows.seeds) add(e);
  }
  return out;
}

}  // namespace llmgw::gateway
