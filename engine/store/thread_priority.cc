#include "store/thread_priority.h"

#include <algorithm>
#include <cerrno>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tandem::store {

#if defined(__linux__)
namespace {
id_t ThisThreadId() { return static_cast<id_t>(syscall(SYS_gettid)); }
}  // namespace

int ThisThreadNice() {
  errno = 0;
  return getpriority(PRIO_PROCESS, ThisThreadId());
}

void LowerThisThreadPriority(int steps) {
  if (steps <= 0) return;
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, ThisThreadId());
  if (now == -1 && errno != 0) return;
  setpriority(PRIO_PROCESS, ThisThreadId(), std::min(19, now + std::min(steps, 39)));
}
#else
int ThisThreadNice() { return 0; }
void LowerThisThreadPriority(int) {}
#endif

}  // namespace tandem::store
