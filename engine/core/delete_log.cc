#include "delete_log.h"

namespace tandem {

void DeleteLog::Append(PeerIndex peer, uint64_t counter, uint32_t len, PeerIndex target_peer,
                       uint64_t target, bool backward) {
  if (len == 1) backward = false;
  if (!runs_.empty()) {
    DeleteRun& last = runs_.back();
    if (last.peer == peer && last.end() == counter && last.target_peer == target_peer &&
        uint64_t{last.len} + len <= UINT32_MAX) {
      // Which direction would continue `last`, given its own direction?
      bool fwd_ok = (last.len == 1 || !last.backward) && target == last.target + last.len &&
                    (len == 1 || !backward);
      bool bwd_ok = (last.len == 1 || last.backward) && last.target >= last.len &&
                    target == last.target - last.len && (len == 1 || backward);
      if (fwd_ok || bwd_ok) {
        last.backward = bwd_ok && !fwd_ok;
        last.len += len;
        return;
      }
    }
  }
  runs_.push_back(DeleteRun{counter, target, len, peer, target_peer, backward});
}

}  // namespace tandem
