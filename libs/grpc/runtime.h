#pragma once
// Process-wide settings every gRPC service makes once, first thing in main.

namespace llmgw::grpcutil {

// Turns off absl::Mutex deadlock detection. Debian builds Abseil with it on: every lock that
// gRPC (and our code) takes is recorded in a global lock-order graph, which cost billing ~6% of
// its CPU under load (perf: absl GraphCycles and synchronization). Lock order is kept by design
// and checked by the sanitizer and race tests, not at run time in production.
void TuneProcessForServing();

}  // namespace llmgw::grpcutil
