#pragma once
// The calling thread's name (as `top -H`, `ps -L` and perf show it) and CPU priority.

namespace llmgw::threads {

// Names the calling thread; Linux keeps the first 15 characters.
void NameThisThread(const char* name);

// Lowers the calling thread's CPU priority to `nice` (0..19; Linux nice values are per thread).
// Threads it creates afterwards inherit it. Background work (usage shipping, price refreshes)
// then yields the CPU to the request path when both are runnable, and still runs whenever a CPU
// has room. Returns false when the system refuses (the thread keeps its priority).
bool LowerThisThreadPriority(int nice);

}  // namespace llmgw::threads
