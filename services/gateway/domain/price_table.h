#pragma once
// The price book as the gateway reads it: (provider, model) -> price, with dated snapshots of a
// priced model priced as that model. Pure and immutable once built.

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

  // The exact model, else the priced model m such that `model` is m + "-" + a date, the date
  // being YYYY-MM-DD or YYYYMMDD ("gpt-4o-mini-2024-07-18" -> gpt-4o-mini even when gpt-4o
  // exists; "claude-3-5-haiku-20241022" -> claude-3-5-haiku). Any other suffix is a different
  // model and is unpriced: "gpt-4o-mini-audio-preview" is NOT gpt-4o-mini. A dated snapshot with
  // its own price (e.g. "gpt-4o-2024-05-13") gets its own row: the exact match wins. nullptr when
  // none.
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
