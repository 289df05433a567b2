#include "list_values.h"

#include <algorithm>

namespace tandem {

namespace {

bool AllDoubles(const std::vector<Value>& values) {
  return std::all_of(values.begin(), values.end(),
                     [](const Value& v) { return v.kind() == Value::Kind::kDouble; });
}

void AppendDoubles(const std::vector<Value>& values, std::vector<double>* out) {
  out->reserve(out->size() + values.size());
  for (const Value& v : values) out->push_back(v.as_double());
}

}  // namespace

void ListValues::Chunk::Widen() {
  values.reserve(doubles.size());
  for (size_t i = 0; i < doubles.size(); ++i)
    values.push_back(!gone.empty() && gone[i] ? Value::Null() : Value::Double(doubles[i]));
  doubles.clear();
  doubles.shrink_to_fit();
}

bool ListValues::Put(PeerIndex peer, uint64_t counter, std::vector<Value> values) {
  if (values.empty()) return false;
  const bool doubles = AllDoubles(values);
  // Values pushed one after another continue the previous chunk.
  auto it = chunks_.lower_bound(Key{peer, counter});
  if (it != chunks_.begin()) {
    auto prev = std::prev(it);
    Chunk& c = prev->second;
    if (prev->first.first == peer && prev->first.second + c.size() == counter &&
        c.live == c.size()) {
      c.live += values.size();
      if (!c.doubles.empty() && !doubles) c.Widen();
      if (!c.doubles.empty()) {
        AppendDoubles(values, &c.doubles);
      } else {
        for (Value& v : values) c.values.push_back(std::move(v));
      }
      if (grown_.empty() || grown_.back() != prev->first) grown_.push_back(prev->first);
      if (!c.gone.empty()) c.gone.resize(c.size(), false);
      return true;
    }
  }
  Chunk c;
  c.live = values.size();
  if (doubles) {
    AppendDoubles(values, &c.doubles);
  } else {
    c.values = std::move(values);
  }
  chunks_.emplace_hint(it, Key{peer, counter}, std::move(c));
  return false;
}

void ListValues::PutDoubles(PeerIndex peer, uint64_t counter, std::vector<double> values) {
  if (values.empty()) return;
  Chunk c;
  c.live = values.size();
  c.doubles = std::move(values);
  chunks_.emplace(Key{peer, counter}, std::move(c));
}

void ListValues::ShrinkGrown() {
  for (const Key& k : grown_) {
    auto it = chunks_.find(k);
    if (it == chunks_.end()) continue;
    it->second.values.shrink_to_fit();
    it->second.doubles.shrink_to_fit();
  }
  grown_.clear();
}

std::optional<Value> ListValues::Find(PeerIndex peer, uint64_t counter) const {
  auto it = chunks_.upper_bound(Key{peer, counter});
  if (it == chunks_.begin()) return std::nullopt;
  --it;
  const Chunk& c = it->second;
  const uint64_t i = counter - it->first.second;
  if (it->first.first != peer || i >= c.size()) return std::nullopt;
  if (c.doubles.empty()) return c.values[i];
  if (!c.gone.empty() && c.gone[i]) return Value::Null();
  return Value::Double(c.doubles[i]);
}

void ListValues::Drop(PeerIndex peer, uint64_t counter, uint64_t len) {
  const uint64_t end = counter + len;
  auto it = chunks_.upper_bound(Key{peer, counter});
  if (it != chunks_.begin()) --it;
  while (it != chunks_.end() && it->first.first == peer && it->first.second < end) {
    Chunk& c = it->second;
    const uint64_t start = it->first.second;
    const uint64_t lo = std::max(start, counter);
    const uint64_t hi = std::min<uint64_t>(start + c.size(), end);
    if (lo < hi && c.gone.empty()) c.gone.assign(c.size(), false);
    for (uint64_t i = lo; i < hi; ++i) {
      // Each item is dropped once, though concurrent deletes of one item
      // come here once each. A container value stays: the container
      // outlives its element.
      if (c.gone[i - start]) continue;
      c.gone[i - start] = true;
      if (c.doubles.empty()) {
        Value& v = c.values[i - start];
        if (v.is_container()) continue;
        v = Value::Null();
      }
      if (c.live > 0) --c.live;
    }
    it = c.live == 0 ? chunks_.erase(it) : std::next(it);
  }
}

uint64_t ListValues::MemoryUsage() const {
  uint64_t n = 0;
  for (const auto& [k, c] : chunks_) {
    n += 64 + c.values.capacity() * sizeof(Value) + c.doubles.capacity() * sizeof(double) +
         c.gone.capacity() / 8;
    for (const Value& v : c.values) n += v.HeapBytes();
  }
  return n;
}

}  // namespace tandem
