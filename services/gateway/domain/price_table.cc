#include "services/gateway/domain/price_table.h"

namespace llmgw::gateway {

PriceTable::PriceTable(const std::vector<PricedModel>& models) {
  for (const PricedModel& m : models) {
    if (m.provider.empty() || m.model.empty()) continue;
    auto [it, inserted] = by_provider_[m.provider].insert_or_assign(m.model, m);
    if (inserted) ++size_;
  }
}

const PricedModel* PriceTable::Find(std::string_view provider, std::string_view model) const {
  auto p = by_provider_.find(provider);
  if (p == by_provider_.end() || model.empty()) return nullptr;
  const auto& models = p->second;
  // Try the whole id, then every prefix ending just before a '-', longest first.
  std::string_view candidate = model;
  while (true) {
    auto it = models.find(candidate);
    if (it != models.end()) return &it->second;
    size_t dash = candidate.rfind('-');
    if (dash == std::string_view::npos || dash == 0) return nullptr;
    candidate = candidate.substr(0, dash);
  }
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
