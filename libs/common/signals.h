#pragma once

namespace llmgw {

// Blocks SIGTERM and SIGINT in the calling thread (call first in main, before any thread starts,
// so every thread inherits the mask) and returns; WaitForShutdownSignal() then waits for one.
void BlockShutdownSignals();
// Waits until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace llmgw

namespace llmgw {
// Raises the soft limit of open files to the hard limit: every proxied stream holds two sockets,
// and the default soft limit (often 1,024) would refuse connections long before memory runs out.
// Returns the new soft limit.
long RaiseOpenFileLimit();
}  // namespace llmgw
