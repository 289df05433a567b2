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

bool ListValues::Extend(const Key& k, Chunk& c, PeerIndex peer, uint64_t counter,
                        std::vector<Value>& values, bool doubles) {
  if (k.first != peer || k.second + c.size() != counter || c.live != c.size()) return false;
  c.live += values.size();
  if (!c.doubles.empty() && !doubles) c.Widen();
  if (!c.doubles.empty()) {
    AppendDoubles(values, &c.doubles);
  } else {
    for (Value& v : values) c.values.push_back(std::move(v));
  }
  if (grown_.empty() || grown_.back() != k) grown_.push_back(k);
  if (!c.gone.empty()) c.gone.resize(c.size(), false);
  return true;
}

ListValues::Chunk ListValues::MakeChunk(std::vector<Value> values, bool doubles) {
  Chunk c;
  c.live = values.size();
  if (doubles) {
    AppendDoubles(values, &c.doubles);
  } else {
    c.values = std::move(values);
  }
  return c;
}

void ListValues::Spill() {
  chunks_.emplace(sole_->first, std::move(sole_->second));
  sole_.reset();
}

bool ListValues::Put(PeerIndex peer, uint64_t counter, std::vector<Value> values) {
  if (values.empty()) return false;
  const bool doubles = AllDoubles(values);
  if (chunks_.empty()) {
    if (!sole_) {
      sole_.emplace(Key{peer, counter}, MakeChunk(std::move(values), doubles));
      return false;
    }
    if (Extend(sole_->first, sole_->second, peer, counter, values, doubles)) return true;
    Spill();
  }
  // Values pushed one after another continue the previous chunk.
  auto it = chunks_.lower_bound(Key{peer, counter});
  if (it != chunks_.begin()) {
    auto prev = std::prev(it);
    if (Extend(prev->first, prev->second, peer, counter, values, doubles)) return true;
  }
  chunks_.emplace_hint(it, Key{peer, counter}, MakeChunk(std::move(values), doubles));
  return false;
}

void ListValues::PutDoubles(PeerIndex peer, uint64_t counter, std::vector<double> values) {
  if (values.empty()) return;
  Chunk c;
  c.live = values.size();
  c.doubles = std::move(values);
  if (chunks_.empty() && !sole_) {
    sole_.emplace(Key{peer, counter}, std::move(c));
    return;
  }
  if (sole_) Spill();
  chunks_.emplace(Key{peer, counter}, std::move(c));
}

void ListValues::ShrinkGrown() {
  for (const Key& k : grown_) {
    Chunk* c = nullptr;
    if (sole_) {
      if (sole_->first == k) c = &sole_->second;
    } else {
      auto it = chunks_.find(k);
      if (it != chunks_.end()) c = &it->second;
    }
    if (!c) continue;
    c->values.shrink_to_fit();
    c->doubles.shrink_to_fit();
  }
  grown_.clear();
}

std::optional<Value> ListValues::Find(PeerIndex peer, uint64_t counter) const {
  const Key* k;
  const Chunk* c;
  if (sole_) {
    k = &sole_->first;
    c = &sole_->second;
  } else {
    auto it = chunks_.upper_bound(Key{peer, counter});
    if (it == chunks_.begin()) return std::nullopt;
    --it;
    k = &it->first;
    c = &it->second;
  }
  const uint64_t i = counter - k->second;
  if (k->first != peer || counter < k->second || i >= c->size()) return std::nullopt;
  if (c->doubles.empty()) return c->values[i];
  if (!c->gone.empty() && c->gone[i]) return Value::Null();
  return Value::Double(c->doubles[i]);
}

void ListValues::Chunk::Drop(uint64_t start, uint64_t lo, uint64_t hi) {
  if (lo < hi && gone.empty()) gone.assign(size(), false);
  for (uint64_t i = lo; i < hi; ++i) {
    // Each item is dropped once, though concurrent deletes of one item
    // come here once each. A container value stays: the container
    // outlives its element.
    if (gone[i - start]) continue;
    gone[i - start] = true;
    if (doubles.empty()) {
      Value& v = values[i - start];
      if (v.is_container()) continue;
      v = Value::Null();
    }
    if (live > 0) --live;
  }
}

void ListValues::Drop(PeerIndex peer, uint64_t counter, uint64_t len) {
  const uint64_t end = counter + len;
  if (sole_) {
    const auto& [k, c] = *sole_;
    if (k.first != peer || k.second >= end) return;
    const uint64_t lo = std::max(k.second, counter);
    const uint64_t hi = std::min<uint64_t>(k.second + c.size(), end);
    sole_->second.Drop(k.second, lo, hi);
    if (sole_->second.live == 0) sole_.reset();
    return;
  }
  auto it = chunks_.upper_bound(Key{peer, counter});
  if (it != chunks_.begin()) --it;
  while (it != chunks_.end() && it->first.first == peer && it->first.second < end) {
    Chunk& c = it->second;
    const uint64_t start = it->first.second;
    const uint64_t lo = std::max(start, counter);
    const uint64_t hi = std::min<uint64_t>(start + c.size(), end);
    c.Drop(start, lo, hi);
    it = c.live == 0 ? chunks_.erase(it) : std::next(it);
  }
}

uint64_t ListValues::Chunk::MemoryUsage() const {
  uint64_t n =
      values.capacity() * sizeof(Value) + doubles.capacity() * sizeof(double) + gone.capacity() / 8;
  for (const Value& v : values) n += v.HeapBytes();
  return n;
}

uint64_t ListValues::MemoryUsage() const {
  uint64_t n = sole_ ? sole_->second.MemoryUsage() : 0;  // inside the ListValues
  for (const auto& [k, c] : chunks_) n += 64 + c.MemoryUsage();
  return n;
}

}  // namespace tandem
