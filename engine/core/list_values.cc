#include "list_values.h"

namespace tandem {

bool ListValues::Put(PeerIndex peer, uint64_t counter, std::vector<Value> values) {
  if (values.empty()) return false;
  // Values pushed one after another continue the previous chunk.
  auto it = chunks_.lower_bound(Key{peer, counter});
  if (it != chunks_.begin()) {
    auto prev = std::prev(it);
    if (prev->first.first == peer && prev->first.second + prev->second.values.size() == counter &&
        prev->second.live == prev->second.values.size()) {
      prev->second.live += values.size();
      for (Value& v : values) prev->second.values.push_back(std::move(v));
      if (grown_.empty() || grown_.back() != prev->first) grown_.push_back(prev->first);
      if (!prev->second.gone.empty()) prev->second.gone.resize(prev->second.values.size(), false);
      return true;
    }
  }
  Chunk c;
  c.live = values.size();
  c.values = std::move(values);
  chunks_.emplace_hint(it, Key{peer, counter}, std::move(c));
  return false;
}

void ListValues::ShrinkGrown() {
  for (const Key& k : grown_) {
    auto it = chunks_.find(k);
    if (it != chunks_.end()) it->second.values.shrink_to_fit();
  }
  grown_.clear();
}

const Value* ListValues::Find(PeerIndex peer, uint64_t counter) const {
  auto it = chunks_.upper_bound(Key{peer, counter});
  if (it == chunks_.begin()) return nullptr;
  --it;
  if (it->first.first != peer || counter - it->first.second >= it->second.values.size())
    return nullptr;
  return &it->second.values[counter - it->first.second];
}

void ListValues::Drop(PeerIndex peer, uint64_t counter, uint64_t len) {
  const uint64_t end = counter + len;
  auto it = chunks_.upper_bound(Key{peer, counter});
  if (it != chunks_.begin()) --it;
  while (it != chunks_.end() && it->first.first == peer && it->first.second < end) {
    Chunk& c = it->second;
    const uint64_t start = it->first.second;
    const uint64_t lo = std::max(start, counter);
    const uint64_t hi = std::min<uint64_t>(start + c.values.size(), end);
    if (lo < hi && c.gone.empty()) c.gone.assign(c.values.size(), false);
    for (uint64_t i = lo; i < hi; ++i) {
      // Each item is dropped once, though concurrent deletes of one item
      // come here once each. A container value stays: the container
      // outlives its element.
      if (c.gone[i - start]) continue;
      c.gone[i - start] = true;
      Value& v = c.values[i - start];
      if (v.is_container()) continue;
      v = Value::Null();
      if (c.live > 0) --c.live;
    }
    it = c.live == 0 ? chunks_.erase(it) : std::next(it);
  }
}

uint64_t ListValues::MemoryUsage() const {
  uint64_t n = 0;
  for (const auto& [k, c] : chunks_) {
    n += 64 + c.values.capacity() * sizeof(Value) + c.gone.capacity() / 8;
    for (const Value& v : c.values) n += v.HeapBytes();
  }
  return n;
}

}  // namespace tandem
