// Background priority for the store's own threads.
#pragma once

namespace tandem::store {

// Raises the calling thread's nice value by `steps` (capped at 19), so that
// the process's other threads — a server's network thread — get the CPU
// first when it is short. Linux keeps a nice value per thread; elsewhere,
// and for steps <= 0, nothing happens. Raising needs no privilege; failures
// are ignored (the thread just keeps its priority).
void LowerThisThreadPriority(int steps);

// The calling thread's nice value (Linux), for tests.
int ThisThreadNice();

}  // namespace tandem::store
