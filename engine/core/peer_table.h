// PeerTable: 64-bit peer ids <-> small indices used inside runs.
//
// Indices are local to one replica (assigned in order of first sight) and
// never go on the wire; encoders map them back to ids. A document has few
// peers, so the id -> index side is a sorted vector (no hashing) with a
// one-entry cache for the peer asked last, usually the same one again.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "op_id.h"
#include "run.h"

namespace tandem {

class PeerTable {
 public:
  PeerIndex Intern(PeerId id) {
    PeerIndex i;
    if (Find(id, &i)) return i;
    last_ = {id, static_cast<PeerIndex>(size_)};
    if (size_ == 0) {
      // Most sequences of a document are written by one peer (a shape's
      // points): its table stays inside the object, with no allocation.
      first_ = id;
      return static_cast<PeerIndex>(size_++);
    }
    if (ids_.empty()) {
      ids_.push_back(first_);
      sorted_.emplace_back(first_, PeerIndex{0});
    }
    i = static_cast<PeerIndex>(size_++);
    ids_.push_back(id);
    sorted_.insert(std::lower_bound(sorted_.begin(), sorted_.end(), std::pair{id, PeerIndex{0}}),
                   std::pair{id, i});
    return i;
  }
  bool Find(PeerId id, PeerIndex* out) const {
    if (size_ > 0 && last_.first == id) {
      *out = last_.second;
      return true;
    }
    if (size_ <= 1) return false;  // the one peer is last_
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::pair{id, PeerIndex{0}});
    if (it == sorted_.end() || it->first != id) return false;
    last_ = *it;
    *out = it->second;
    return true;
  }
  PeerId id(PeerIndex i) const { return size_ == 1 ? first_ : ids_[i]; }
  size_t size() const { return size_; }
  uint64_t MemoryUsage() const {
    return ids_.capacity() * sizeof(PeerId) +
           sorted_.capacity() * sizeof(std::pair<PeerId, PeerIndex>);
  }

 private:
  size_t size_ = 0;
  PeerId first_ = 0;                                  // index 0
  std::vector<PeerId> ids_;                           // by index, once there are two
  std::vector<std::pair<PeerId, PeerIndex>> sorted_;  // by id, once there are two
  mutable std::pair<PeerId, PeerIndex> last_{0, 0};
};

}  // namespace tandem
