#include "id_index.h"

#include <algorithm>
#include <bit>
#include <memory>

namespace tandem {

namespace {

using Entry = IdIndex::Entry;

// First entry whose end is past `counter`.
std::vector<Entry>::const_iterator Upper(const std::vector<Entry>& v, uint64_t counter) {
  return std::upper_bound(v.begin(), v.end(), counter,
                          [](uint64_t c, const Entry& e) { return c < e.end; });
}

// Sets [start, end) -> leaf in one sorted vector: the entries it overlaps
// are cut, and it merges with neighbours that touch it and share its leaf.
void SetFlat(std::vector<Entry>& v, uint64_t start, uint64_t end, RunLeaf* leaf) {
  size_t first = Upper(v, start) - v.begin();
  size_t last = first;
  while (last < v.size() && v[last].start < end) ++last;
  Entry repl[3];
  int n = 0;
  if (first < last && v[first].start < start)
    repl[n++] = Entry{v[first].start, start, v[first].leaf};
  repl[n++] = Entry{start, end, leaf};
  if (first < last && v[last - 1].end > end)
    repl[n++] = Entry{end, v[last - 1].end, v[last - 1].leaf};
  if (first > 0 && v[first - 1].end == repl[0].start && v[first - 1].leaf == repl[0].leaf) {
    --first;
    repl[0].start = v[first].start;
  }
  if (last < v.size() && v[last].start == repl[n - 1].end && v[last].leaf == repl[n - 1].leaf) {
    repl[n - 1].end = v[last].end;
    ++last;
  }
  const size_t old_count = last - first;
  if (old_count >= static_cast<size_t>(n)) {
    std::copy(repl, repl + n, v.begin() + first);
    v.erase(v.begin() + first + n, v.begin() + last);
  } else {
    std::copy(repl, repl + old_count, v.begin() + first);
    v.insert(v.begin() + last, repl + old_count, repl + n);
  }
}

}  // namespace

size_t IdIndex::BucketOf(const std::vector<Bucket>& buckets, uint64_t counter) {
  return std::upper_bound(buckets.begin(), buckets.end(), counter,
                          [](uint64_t c, const Bucket& b) { return c < b.back().end; }) -
         buckets.begin();
}

RunLeaf* IdIndex::Find(PeerIndex peer, uint64_t counter) const {
  if (one_.leaf) {
    return peer == one_peer_ && counter >= one_.start && counter < one_.end ? one_.leaf : nullptr;
  }
  if (peer >= peers_.size()) return nullptr;
  const auto& buckets = peers_[peer];
  if (buckets.empty()) return nullptr;
  const Entry& newest = buckets.back().back();
  if (counter >= newest.start) return counter < newest.end ? newest.leaf : nullptr;  // hot path
  size_t b = BucketOf(buckets, counter);
  if (b == buckets.size()) return nullptr;
  auto it = Upper(buckets[b], counter);
  return (it != buckets[b].end() && it->start <= counter) ? it->leaf : nullptr;
}

uint64_t IdIndex::NextItem(PeerIndex peer, uint64_t counter) const {
  if (one_.leaf) {
    return peer == one_peer_ && counter < one_.end ? std::max(one_.start, counter) : UINT64_MAX;
  }
  if (peer >= peers_.size()) return UINT64_MAX;
  const auto& buckets = peers_[peer];
  size_t b = BucketOf(buckets, counter);
  if (b == buckets.size()) return UINT64_MAX;
  return std::max(Upper(buckets[b], counter)->start, counter);
}

void IdIndex::Spill() {
  peers_.resize(size_t{one_peer_} + 1);
  peers_[one_peer_].push_back(Bucket{one_});
  one_.leaf = nullptr;
}

void IdIndex::Set(PeerIndex peer, uint64_t start, uint64_t len, RunLeaf* leaf) {
  if (one_.leaf) {
    if (peer == one_peer_ && start == one_.end && leaf == one_.leaf) {
      one_.end = start + len;  // typing forward in the one leaf
      return;
    }
    Spill();
  } else if (peers_.empty()) {
    one_ = Entry{start, start + len, leaf};
    one_peer_ = peer;
    return;
  }
  if (peer >= peers_.size()) peers_.resize(peer + 1);
  auto& buckets = peers_[peer];
  const uint64_t end = start + len;
  if (buckets.empty() || start >= buckets.back().back().end) {
    // New counters: extend the newest entry or append one.
    if (!buckets.empty()) {
      Entry& last = buckets.back().back();
      if (last.end == start && last.leaf == leaf) {
        last.end = end;
        return;
      }
    }
    if (buckets.empty() || buckets.back().size() >= kBucket) buckets.emplace_back();
    buckets.back().push_back(Entry{start, end, leaf});
    return;
  }
  size_t b0 = BucketOf(buckets, start);
  size_t b1 = b0;
  while (b1 + 1 < buckets.size() && buckets[b1 + 1].front().start < end) ++b1;
  if (b0 == b1) {
    // Within one bucket (the usual case): edit it, halve it if it overflows.
    // Touching entries in neighbouring buckets are left unmerged; that costs
    // an entry, never correctness.
    Bucket& bucket = buckets[b0];
    SetFlat(bucket, start, end, leaf);
    if (bucket.size() > kBucket) {
      Bucket upper;
      upper.assign(bucket.begin() + bucket.size() / 2, bucket.end());
      bucket.resize(bucket.size() / 2);
      bucket.shrink_to_fit();
      buckets.insert(buckets.begin() + b0 + 1, std::move(upper));
    }
    return;
  }
  // The range spans buckets: edit them as one vector and re-cut it.
  std::vector<Entry> flat;
  for (size_t b = b0; b <= b1; ++b) flat.insert(flat.end(), buckets[b].begin(), buckets[b].end());
  SetFlat(flat, start, end, leaf);
  std::vector<Bucket> cut;
  for (size_t i = 0; i < flat.size(); i += kBucket / 2) {
    Bucket piece;
    piece.assign(flat.begin() + i, flat.begin() + std::min(flat.size(), i + kBucket / 2));
    cut.push_back(std::move(piece));
  }
  buckets.erase(buckets.begin() + b0, buckets.begin() + b1 + 1);
  buckets.insert(buckets.begin() + b0, std::make_move_iterator(cut.begin()),
                 std::make_move_iterator(cut.end()));
}

namespace {

// Sorts entries by start, stably. A snapshot lists a peer's runs in document
// order, which is far from counter order (5,382 ascending stretches in the
// 12,487 runs of automerge-paper), so a comparison sort costs n log n
// branchy compares. Starts are integers within a known range: an LSD radix
// sort on (start - min) takes ceil(bits / 11) linear passes, at most 6 for
// hostile counters near 2^62, each over a histogram of at most 2^11 slots.
// The passes alternate between `v` and *scratch (grown to n if need be and
// never initialised: every slot a pass reads, the previous one wrote).
// Returns where the sorted entries are: v.data() or scratch->get().
const Entry* SortByStart(std::vector<Entry>& v, std::unique_ptr<Entry[]>* scratch,
                         size_t* scratch_size) {
  const size_t n = v.size();
  if (n < 128) {
    // Too few to pay for a histogram.
    std::stable_sort(v.begin(), v.end(),
                     [](const Entry& a, const Entry& b) { return a.start < b.start; });
    return v.data();
  }
  uint64_t lo = v[0].start, hi = lo;
  for (const Entry& e : v) {
    lo = std::min(lo, e.start);
    hi = std::max(hi, e.start);
  }
  if (lo == hi) return v.data();  // all equal: in order already (and overlapping)
  const int bits = std::bit_width(hi - lo);
  const int passes = (bits + 10) / 11;
  const int digit = (bits + passes - 1) / passes;
  const uint64_t mask = (uint64_t{1} << digit) - 1;
  std::vector<uint32_t> count(size_t{1} << digit);
  if (*scratch_size < n) {
    *scratch = std::make_unique_for_overwrite<Entry[]>(n);
    *scratch_size = n;
  }
  Entry* in = v.data();
  Entry* out = scratch->get();
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = pass * digit;
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) ++count[((in[i].start - lo) >> shift) & mask];
    uint32_t sum = 0;
    for (uint32_t& c : count) {
      const uint32_t k = c;
      c = sum;
      sum += k;
    }
    for (size_t i = 0; i < n; ++i) out[count[((in[i].start - lo) >> shift) & mask]++] = in[i];
    std::swap(in, out);
  }
  return in;
}

}  // namespace

bool IdIndex::Load(std::vector<std::vector<Entry>> entries) {
  Loader loader;
  for (size_t p = 0; p < entries.size(); ++p) {
    const auto peer = static_cast<PeerIndex>(p);
    loader.Reserve(peer, entries[p].size());
    for (const Entry& e : entries[p]) loader.Add(peer, e.start, e.end, e.leaf);
  }
  return loader.Finish(this);
}

bool IdIndex::LoadLeaf(const Run* runs, uint32_t n, RunLeaf* leaf) {
  constexpr uint32_t kMaxRuns = 64;  // a leaf holds fewer
  if (n > kMaxRuns) {
    Loader loader;
    for (uint32_t i = 0; i < n; ++i) loader.Add(runs[i].peer, runs[i].counter, runs[i].end(), leaf);
    return loader.Finish(this);
  }
  // The runs' id ranges by peer and start, on the stack: a leaf's runs are
  // few, usually one peer's, and usually in counter order already.
  struct Range {
    PeerIndex peer;
    uint64_t start, end;
    bool operator<(const Range& o) const {
      return peer < o.peer || (peer == o.peer && start < o.start);
    }
  };
  Range r[kMaxRuns];
  bool sorted = true;
  for (uint32_t i = 0; i < n; ++i) {
    r[i] = Range{runs[i].peer, runs[i].counter, runs[i].end()};
    sorted &= i == 0 || !(r[i] < r[i - 1]);
  }
  if (!sorted) std::sort(r, r + n);
  Clear();
  if (n == 0) return true;
  // Merged in place where a peer's ranges touch (all share the leaf).
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (m > 0 && r[m - 1].peer == r[i].peer) {
      if (r[m - 1].end > r[i].start) return false;
      if (r[m - 1].end == r[i].start) {
        r[m - 1].end = r[i].end;
        continue;
      }
    }
    r[m++] = r[i];
  }
  if (m == 1) {
    one_ = Entry{r[0].start, r[0].end, leaf};
    one_peer_ = r[0].peer;
    return true;
  }
  peers_.resize(size_t{r[m - 1].peer} + 1);
  for (uint32_t i = 0; i < m;) {
    const PeerIndex p = r[i].peer;
    Bucket bucket;
    for (; i < m && r[i].peer == p; ++i) bucket.push_back(Entry{r[i].start, r[i].end, leaf});
    peers_[p].push_back(std::move(bucket));
  }
  return true;
}

IdIndex::Loader::Pending& IdIndex::Loader::Select(PeerIndex peer) {
  if (peer >= peers_.size()) peers_.resize(size_t{peer} + 1);
  peer_ = peer;
  pending_ = &peers_[peer];
  return *pending_;
}

bool IdIndex::Loader::Finish(IdIndex* index) {
  bool disjoint = true;
  index->Clear();
  index->peers_.resize(peers_.size());
  std::unique_ptr<Entry[]> scratch;
  size_t scratch_size = 0;
  for (size_t p = 0; p < peers_.size(); ++p) {
    auto& v = peers_[p].entries;
    const Entry* sorted = peers_[p].sorted ? v.data() : SortByStart(v, &scratch, &scratch_size);
    // Merged into `v` (in place when the sort left them there: out <= i).
    size_t out = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const Entry& e = sorted[i];
      if (out > 0 && v[out - 1].end > e.start) disjoint = false;
      if (out > 0 && v[out - 1].end == e.start && v[out - 1].leaf == e.leaf) {
        v[out - 1].end = e.end;
      } else {
        v[out++] = e;
      }
    }
    constexpr size_t kFill = kBucket / 2 + kBucket / 4;
    auto& buckets = index->peers_[p];
    buckets.reserve((out + kFill - 1) / kFill);
    for (size_t i = 0; i < out; i += kFill) {
      const size_t n = std::min(out - i, kFill);
      buckets.emplace_back(v.begin() + i, v.begin() + i + n);
    }
  }
  peers_.clear();
  peer_ = UINT32_MAX;
  pending_ = nullptr;
  return disjoint;
}

std::vector<Entry> IdIndex::Entries(PeerIndex peer) const {
  std::vector<Entry> out;
  if (one_.leaf) {
    if (peer == one_peer_) out.push_back(one_);
    return out;
  }
  if (peer < peers_.size()) {
    for (const Bucket& b : peers_[peer]) out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

uint64_t IdIndex::MemoryUsage() const {
  uint64_t total = peers_.capacity() * sizeof(std::vector<Bucket>);
  for (const auto& buckets : peers_) {
    total += buckets.capacity() * sizeof(Bucket);
    for (const Bucket& b : buckets) total += b.capacity() * sizeof(Entry);
  }
  return total;
}

}  // namespace tandem
