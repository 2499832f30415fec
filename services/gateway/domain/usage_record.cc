#include "services/gateway/domain/usage_record.h"

namespace llmgw::gateway {

std::string_view ModeName(Mode m) { return m == Mode::kPassthrough ? "passthrough" : "reseller"; }

}  // namespace llmgw::gateway
