#pragma once
// Thread names, as `top -H`, `ps -L`, perf and gdb show them.

namespace llmgw::threads {

// Names the calling thread; Linux keeps the first 15 characters. Threads it creates afterwards
// start with the same name.
void NameThisThread(const char* name);

}  // namespace llmgw::threads
