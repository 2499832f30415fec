#include "libs/grpc/runtime.h"

#include "absl/synchronization/mutex.h"

namespace llmgw::grpcutil {

void TuneProcessForServing() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace llmgw::grpcutil
