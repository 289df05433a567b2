// PeerTable: 64-bit peer ids <-> small indices used inside runs.
//
// Indices are local to one replica (assigned in order of first sight) and
// never go on the wire; encoders map them back to ids.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "op_id.h"
#include "run.h"

namespace tandem {

class PeerTable {
 public:
  PeerIndex Intern(PeerId id) {
    auto [it, added] = index_.emplace(id, static_cast<PeerIndex>(ids_.size()));
    if (added) ids_.push_back(id);
    return it->second;
  }
  bool Find(PeerId id, PeerIndex* out) const {
    auto it = index_.find(id);
    if (it == index_.end()) return false;
    *out = it->second;
    return true;
  }
  PeerId id(PeerIndex i) const { return ids_[i]; }
  size_t size() const { return ids_.size(); }
  uint64_t MemoryUsage() const {
    return ids_.capacity() * sizeof(PeerId) + index_.size() * (sizeof(PeerId) + sizeof(PeerIndex) + 16) +
           index_.bucket_count() * sizeof(void*);
  }

 private:
  std::vector<PeerId> ids_;
  std::unordered_map<PeerId, PeerIndex> index_;
};

}  // namespace tandem
