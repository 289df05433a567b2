#include "version_vector.h"

#include <algorithm>
#include <cstdio>

namespace tandem {

namespace {
auto find(const std::vector<VersionVector::Entry>& v, PeerId peer) {
  return std::lower_bound(v.begin(), v.end(), peer,
                          [](const VersionVector::Entry& e, PeerId p) { return e.peer < p; });
}
}  // namespace

uint64_t VersionVector::get(PeerId peer) const {
  auto it = find(entries_, peer);
  return (it != entries_.end() && it->peer == peer) ? it->next : 0;
}

void VersionVector::set(PeerId peer, uint64_t next) {
  auto it = find(entries_, peer);
  auto pos = entries_.begin() + (it - entries_.cbegin());
  if (it != entries_.end() && it->peer == peer) {
    if (next == 0) {
      entries_.erase(pos);
    } else {
      pos->next = next;
    }
  } else if (next != 0) {
    entries_.insert(pos, Entry{peer, next});
  }
}

bool VersionVector::includes(const VersionVector& other) const {
  for (const Entry& e : other.entries_) {
    if (get(e.peer) < e.next) return false;
  }
  return true;
}

std::string VersionVector::ToString() const {
  std::string out = "{";
  char buf[64];
  for (size_t i = 0; i < entries_.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%llx:%llu", i ? ", " : "",
                  static_cast<unsigned long long>(entries_[i].peer),
                  static_cast<unsigned long long>(entries_[i].next));
    out += buf;
  }
  return out + "}";
}

}  // namespace tandem
