#include "id_index.h"

#include <algorithm>

namespace tandem {

namespace {
// First entry whose end is past `counter`.
std::vector<IdIndex::Entry>::const_iterator Upper(const std::vector<IdIndex::Entry>& v,
                                                  uint64_t counter) {
  return std::upper_bound(v.begin(), v.end(), counter,
                          [](uint64_t c, const IdIndex::Entry& e) { return c < e.end; });
}
}  // namespace

RunLeaf* IdIndex::Find(PeerIndex peer, uint64_t counter) const {
  if (peer >= peers_.size()) return nullptr;
  const auto& v = peers_[peer];
  if (!v.empty() && counter >= v.back().start) {
    return counter < v.back().end ? v.back().leaf : nullptr;  // hot: the newest entry
  }
  auto it = Upper(v, counter);
  return (it != v.end() && it->start <= counter) ? it->leaf : nullptr;
}

uint64_t IdIndex::NextItem(PeerIndex peer, uint64_t counter) const {
  if (peer >= peers_.size()) return UINT64_MAX;
  const auto& v = peers_[peer];
  auto it = Upper(v, counter);
  if (it == v.end()) return UINT64_MAX;
  return std::max(it->start, counter);
}

void IdIndex::Set(PeerIndex peer, uint64_t start, uint64_t len, RunLeaf* leaf) {
  if (peer >= peers_.size()) peers_.resize(peer + 1);
  auto& v = peers_[peer];
  const uint64_t end = start + len;
  if (v.empty() || start >= v.back().end) {
    if (!v.empty() && v.back().end == start && v.back().leaf == leaf) {
      v.back().end = end;
    } else {
      v.push_back(Entry{start, end, leaf});
    }
    return;
  }
  // General case: cut the entries overlapping [start, end) and put one entry
  // in their place, merged with equal-leaf neighbours that touch it.
  size_t first = Upper(v, start) - v.begin();
  size_t last = first;
  while (last < v.size() && v[last].start < end) ++last;
  Entry replacement[3];
  int n = 0;
  if (first < last && v[first].start < start) replacement[n++] = Entry{v[first].start, start, v[first].leaf};
  replacement[n++] = Entry{start, end, leaf};
  if (first < last && v[last - 1].end > end) replacement[n++] = Entry{end, v[last - 1].end, v[last - 1].leaf};
  // Merge with untouched neighbours.
  if (first > 0 && v[first - 1].end == replacement[0].start && v[first - 1].leaf == replacement[0].leaf) {
    --first;
    replacement[0].start = v[first].start;
  }
  if (last < v.size() && v[last].start == replacement[n - 1].end && v[last].leaf == replacement[n - 1].leaf) {
    replacement[n - 1].end = v[last].end;
    ++last;
  }
  size_t old_count = last - first;
  if (old_count >= static_cast<size_t>(n)) {
    std::copy(replacement, replacement + n, v.begin() + first);
    v.erase(v.begin() + first + n, v.begin() + last);
  } else {
    std::copy(replacement, replacement + old_count, v.begin() + first);
    v.insert(v.begin() + last, replacement + old_count, replacement + n);
  }
}

void IdIndex::Load(std::vector<std::vector<Entry>> entries) {
  for (auto& v : entries) {
    std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.start < b.start; });
    size_t out = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (out > 0 && v[out - 1].end == v[i].start && v[out - 1].leaf == v[i].leaf) {
        v[out - 1].end = v[i].end;
      } else {
        v[out++] = v[i];
      }
    }
    v.resize(out);
    v.shrink_to_fit();
  }
  peers_ = std::move(entries);
}

uint64_t IdIndex::MemoryUsage() const {
  uint64_t total = peers_.capacity() * sizeof(std::vector<Entry>);
  for (const auto& v : peers_) total += v.capacity() * sizeof(Entry);
  return total;
}

}  // namespace tandem
