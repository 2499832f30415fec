#include "services/gateway/domain/price_table.h"

namespace llmgw::gateway {

PriceTable::PriceTable(const std::vector<PricedModel>& models) {
  for (const PricedModel& m : models) {
    if (m.provider.empty() || m.model.empty()) continue;
    auto [it, inserted] = by_provider_[m.provider].insert_or_assign(m.model, m);
    if (inserted) ++size_;
  }
}

namespace {

bool Digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// YYYY-MM-DD or YYYYMMDD, digits only (the calendar is not checked: a snapshot id is a name).
bool IsDate(std::string_view s) {
  if (s.size() == 8) return Digits(s);
  return s.size() == 10 && s[4] == '-' && s[7] == '-' && Digits(s.substr(0, 4)) &&
         Digits(s.substr(5, 2)) && Digits(s.substr(8, 2));
}

}  // namespace

const PricedModel* PriceTable::Find(std::string_view provider, std::string_view model) const {
  auto p = by_provider_.find(provider);
  if (p == by_provider_.end() || model.empty()) return nullptr;
  const auto& models = p->second;
  if (auto it = models.find(model); it != models.end()) return &it->second;
  // A dated snapshot of a priced model: "<base>-YYYY-MM-DD" or "<base>-YYYYMMDD".
  for (size_t date_size : {size_t{10}, size_t{8}}) {
    if (model.size() < date_size + 2) continue;
    const size_t dash = model.size() - date_size - 1;
    if (model[dash] != '-' || !IsDate(model.substr(dash + 1))) continue;
    if (auto it = models.find(model.substr(0, dash)); it != models.end()) return &it->second;
  }
  return nullptr;
}

std::vector<const PricedModel*> PriceTable::Models() const {
  std::vector<const PricedModel*> out;
  out.reserve(size_);
  for (const auto& [provider, models] : by_provider_) {
    for (const auto& [model, m] : models) out.push_back(&m);
  }
  return out;
}

}  // namespace llmgw::gateway
