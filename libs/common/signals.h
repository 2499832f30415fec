#pragma once

namespace llmgw {

// Blocks SIGTERM and SIGINT in the calling thread (call first in main, before any thread starts,
// so every thread inherits the mask) and returns; WaitForShutdownSignal() then waits for one.
void BlockShutdownSignals();
// Waits until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace llmgw
