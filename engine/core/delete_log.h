// DeleteLog: every delete operation a replica has applied, kept so that it
// can send them to peers that lack them (EncodeUpdate) and put them in
// snapshots. Runs of deletes compress: a forward delete of a selection or a
// run of backspaces is one entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "run.h"

namespace tandem {

struct DeleteRun {
  uint64_t counter;  // first delete op's counter
  uint64_t target;   // first target item's counter
  uint32_t len;
  PeerIndex peer;
  PeerIndex target_peer;
  bool backward;  // targets go down by one per op (meaningless when len == 1)

  uint64_t end() const { return counter + len; }
  // The target of the op with counter `counter + k`.
  uint64_t target_at(uint64_t k) const { return backward ? target - k : target + k; }
};

class DeleteLog {
 public:
  // Records delete ops [counter, counter + len) of `peer`. Merges with the
  // previous entry when it continues it. Inline: a snapshot's log is loaded
  // a run at a time.
  void Append(PeerIndex peer, uint64_t counter, uint32_t len, PeerIndex target_peer,
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
  const std::vector<DeleteRun>& runs() const { return runs_; }
  void Reserve(size_t n) { runs_.reserve(n); }
  uint64_t MemoryUsage() const { return runs_.capacity() * sizeof(DeleteRun); }

 private:
  std::vector<DeleteRun> runs_;
};

}  // namespace tandem
