#include "libs/common/thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace llmgw::threads {

void NameThisThread(const char* name) {
  char cut[16];
  std::strncpy(cut, name, sizeof cut - 1);
  cut[sizeof cut - 1] = '\0';
  pthread_setname_np(pthread_self(), cut);
}

bool LowerThisThreadPriority(int nice) {
  // PRIO_PROCESS with a thread id sets that one thread's nice value on Linux.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  return setpriority(PRIO_PROCESS, tid, std::clamp(nice, 0, 19)) == 0;
}

}  // namespace llmgw::threads
