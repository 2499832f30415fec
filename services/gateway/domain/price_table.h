#pragma once
// The price book as the gateway reads it: (provider, model) -> price, with dated model ids
// priced as their base model. Pure and immutable once built.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libs/common/money.h"

namespace llmgw::gateway {

struct PricedModel {
  std::string provider;
  std::string model;
  money::ModelPrice price;
  int64_t max_output_tokens = 0;
};

class PriceTable {
 public:
  PriceTable() = default;
  explicit PriceTable(const std::vector<PricedModel>& models);

  // The exact model, else the longest priced model id m such that `model` starts with m + "-"
  // ("gpt-4o-mini-2024-07-18" -> gpt-4o-mini even when gpt-4o exists). nullptr when none.
  const PricedModel* Find(std::string_view provider, std::string_view model) const;
  size_t size() const { return size_; }
  // Every priced model, by provider then model id (the reseller's GET /models).
  std::vector<const PricedModel*> Models() const;

 private:
  // provider -> model -> price; transparent comparators so lookups do not allocate.
  std::map<std::string, std::map<std::string, PricedModel, std::less<>>, std::less<>> by_provider_;
  size_t size_ = 0;
};

}  // namespace llmgw::gateway
