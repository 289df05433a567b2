// MemoryDocStorage: a DocStorage that keeps every document in memory.
//
// For embedding a server that needs no persistence, and for driving
// ServerCore deterministically: completions are queued, not called, until
// the owner runs them with RunCompletions (on the core's thread), so a
// caller decides exactly when "durable" happens. Documents are kept as
// their update logs and rebuilt on Load; Reset() forgets everything and
// changes the epoch, like a server whose storage was wiped.
//
// Threading: not thread-safe; use it on the core's thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "net/doc_storage.h"

namespace tandem::net {

class MemoryDocStorage final : public DocStorage {
 public:
  void Load(const std::string& name, PeerId peer, LoadDone done) override;
  void Append(const std::string& name, std::string update, AppendDone done) override;

  // Runs up to `max` queued completions, oldest first. Returns how many ran.
  size_t RunCompletions(size_t max = SIZE_MAX);
  size_t pending() const { return completions_.size(); }
  // Makes the next Appends fail (their completions report kIoError).
  void set_fail_appends(bool fail) { fail_appends_ = fail; }
  // Forgets every document; new epochs from now on.
  void Reset();
  // The stored updates of `name` (for checks).
  std::vector<std::string> Updates(const std::string& name) const;

 private:
  struct Stored {
    std::vector<std::string> updates;
    uint64_t epoch = 0;
  };
  std::map<std::string, Stored> docs_;
  std::deque<std::function<void()>> completions_;
  uint64_t next_epoch_ = 1;
  bool fail_appends_ = false;
};

}  // namespace tandem::net
