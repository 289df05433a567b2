// wire_builder.h: builds and reads tandem::wire messages by what they mean
// (runs and deletes with absolute ids) rather than by their delta-encoded
// columns, so corruption tests can hand-craft hostile updates precisely.
//
// The column rules follow schema/tandem.proto; corrupt_update_test checks
// them against what the engine itself encodes (WireBuilder.* tests), so a
// misreading shows up there and not as a puzzling refusal elsewhere.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../tools/converge_sim.h"
#include "core/text.h"
#include "tandem.pb.h"

namespace tandem::wiretest {

struct Id {
  uint64_t peer = 0;
  uint64_t counter = 0;
  friend bool operator==(const Id&, const Id&) = default;
};

// `len` items of `peer` with counters counter .. counter+len-1. The first has
// the given origins (nullopt = document start / end); each later one has the
// previous item as left origin and the run's right origin.
struct InsRun {
  uint64_t peer = 0;
  uint64_t counter = 0;
  uint64_t len = 0;
  bool deleted = false;
  std::optional<Id> left = std::nullopt;
  std::optional<Id> right = std::nullopt;
  std::string text = {};  // UTF-8, `len` code points; empty when deleted
};

// `len` deletes of `peer` (counters counter ..) whose targets are consecutive
// ids of target.peer, rising from target.counter, or falling when backward.
struct DelRun {
  uint64_t peer = 0;
  uint64_t counter = 0;
  uint64_t len = 0;
  bool backward = false;
  Id target = {};
};

struct Ops {
  std::vector<InsRun> ins;
  std::vector<DelRun> del;
};

// ---------------------------------------------------------------- encoding
//
// Column rules (schema/tandem.proto, engine/core/columns.cc):
//  - peer_runs / target_peer_runs: (peer index, number of rows) pairs;
//  - counter (signed, inserts and deletes): counter - end of the previous
//    row of the same peer in this column (0 before the first);
//  - origin_kinds: left + 3 * right, each 0 = none, 1 = the neighbouring row
//    (last item of the previous row / first item of the next), 2 = explicit
//    in origin_peer_runs (pairs, like peer_runs) / origin_counter (origin
//    counter - row counter), left before right;
//  - delete target_counter: first target - last target of the previous row
//    (0 before the first row), whatever the peer.

inline std::vector<uint64_t> PeersOf(const Ops& ops) {
  std::vector<uint64_t> peers;
  auto add = [&](uint64_t p) {
    if (std::find(peers.begin(), peers.end(), p) == peers.end()) peers.push_back(p);
  };
  for (const InsRun& r : ops.ins) {
    add(r.peer);
    if (r.left) add(r.left->peer);
    if (r.right) add(r.right->peer);
  }
  for (const DelRun& d : ops.del) add(d.peer), add(d.target.peer);
  std::sort(peers.begin(), peers.end());
  return peers;
}

inline uint32_t IndexOf(const std::vector<uint64_t>& peers, uint64_t p) {
  return static_cast<uint32_t>(std::find(peers.begin(), peers.end(), p) - peers.begin());
}

inline void PutRuns(const std::vector<uint32_t>& values, google::protobuf::RepeatedField<uint32_t>* out) {
  for (size_t i = 0; i < values.size();) {
    size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    out->Add(values[i]);
    out->Add(static_cast<uint32_t>(j - i));
    i = j;
  }
}

// Expands (value, count) pairs; false unless they cover exactly n rows.
inline bool GetRuns(const google::protobuf::RepeatedField<uint32_t>& in, size_t n, std::vector<uint32_t>* out) {
  out->clear();
  if (in.size() % 2) return false;
  for (int i = 0; i < in.size(); i += 2) {
    if (in[i + 1] == 0 || in[i + 1] > n - out->size()) return false;
    out->insert(out->end(), in[i + 1], in[i]);
  }
  return out->size() == n;
}

// With `neighbours`, origins that name the adjacent row are written as kind 1,
// as the engine does; otherwise every origin is explicit.
inline void EncodeRuns(const std::vector<InsRun>& runs, const std::vector<uint64_t>& peers, wire::RunColumns* out,
                       bool neighbours = true) {
  std::map<uint64_t, uint64_t> prev_end;
  std::vector<uint32_t> row_peers, origin_peers;
  std::string text;
  for (size_t i = 0; i < runs.size(); ++i) {
    const InsRun& r = runs[i];
    row_peers.push_back(IndexOf(peers, r.peer));
    out->add_counter(static_cast<int64_t>(r.counter - prev_end[r.peer]));
    prev_end[r.peer] = r.counter + r.len;
    out->add_len_deleted((r.len << 1) | (r.deleted ? 1 : 0));
    uint32_t left = 0, right = 0;
    if (r.left) {
      const bool n = neighbours && i > 0 && *r.left == Id{runs[i - 1].peer, runs[i - 1].counter + runs[i - 1].len - 1};
      left = n ? 1 : 2;
    }
    if (r.right) {
      const bool n = neighbours && i + 1 < runs.size() && *r.right == Id{runs[i + 1].peer, runs[i + 1].counter};
      right = n ? 1 : 2;
    }
    out->add_origin_kinds(left + 3 * right);
    if (left == 2) {
      origin_peers.push_back(IndexOf(peers, r.left->peer));
      out->add_origin_counter(static_cast<int64_t>(r.left->counter - r.counter));
    }
    if (right == 2) {
      origin_peers.push_back(IndexOf(peers, r.right->peer));
      out->add_origin_counter(static_cast<int64_t>(r.right->counter - r.counter));
    }
    if (!r.deleted) text += r.text;
  }
  PutRuns(row_peers, out->mutable_peer_runs());
  PutRuns(origin_peers, out->mutable_origin_peer_runs());
  out->set_text(text);
}

inline void EncodeDeletes(const std::vector<DelRun>& dels, const std::vector<uint64_t>& peers, wire::DeleteColumns* out) {
  std::map<uint64_t, uint64_t> prev_end;
  std::vector<uint32_t> row_peers, target_peers;
  uint64_t prev_target = 0;
  for (const DelRun& d : dels) {
    row_peers.push_back(IndexOf(peers, d.peer));
    target_peers.push_back(IndexOf(peers, d.target.peer));
    out->add_counter(static_cast<int64_t>(d.counter - prev_end[d.peer]));
    prev_end[d.peer] = d.counter + d.len;
    const bool backward = d.backward && d.len > 1;
    out->add_len_backward((d.len << 1) | (backward ? 1 : 0));
    out->add_target_counter(static_cast<int64_t>(d.target.counter - prev_target));
    prev_target = backward ? d.target.counter - (d.len - 1) : d.target.counter + (d.len - 1);
  }
  PutRuns(row_peers, out->mutable_peer_runs());
  PutRuns(target_peers, out->mutable_target_peer_runs());
}

// The format version the engine writes.
inline uint32_t CurrentFormatVersion() {
  static const uint32_t v = [] {
    Text t(1);
    (void)t.Insert(0, "a");
    wire::Update u;
    return u.ParseFromString(t.EncodeUpdate({})) ? u.format_version() : 0;
  }();
  return v;
}

inline wire::Update ToWire(const Ops& ops, uint32_t format_version = CurrentFormatVersion(), bool neighbours = true) {
  wire::Update u;
  u.set_format_version(format_version);
  const std::vector<uint64_t> peers = PeersOf(ops);
  for (uint64_t p : peers) u.add_peers(p);
  if (!ops.ins.empty()) EncodeRuns(ops.ins, peers, u.mutable_inserts(), neighbours);
  if (!ops.del.empty()) EncodeDeletes(ops.del, peers, u.mutable_deletes());
  return u;
}

// Hand-built updates write every origin explicitly, so a row's meaning does
// not depend on its neighbours.
inline std::string BuildUpdate(const Ops& ops, uint32_t format_version = CurrentFormatVersion()) {
  return ToWire(ops, format_version, /*neighbours=*/false).SerializeAsString();
}

// ---------------------------------------------------------------- decoding

inline bool DecodeRuns(const wire::RunColumns& in, const std::vector<uint64_t>& peers, std::vector<InsRun>* out,
                       std::string* err) {
  const size_t n = static_cast<size_t>(in.counter_size());
  std::vector<uint32_t> row_peers, origin_peers;
  if (static_cast<size_t>(in.len_deleted_size()) != n || static_cast<size_t>(in.origin_kinds_size()) != n ||
      !GetRuns(in.peer_runs(), n, &row_peers) ||
      !GetRuns(in.origin_peer_runs(), static_cast<size_t>(in.origin_counter_size()), &origin_peers)) {
    *err = "run columns of different lengths";
    return false;
  }
  std::u32string text;
  if (!sim::DecodeUtf8(in.text(), &text)) {
    *err = "run text is not UTF-8";
    return false;
  }
  size_t pos = 0;
  std::map<uint64_t, uint64_t> prev_end;
  const size_t first = out->size();
  for (size_t i = 0; i < n; ++i) {
    if (row_peers[i] >= peers.size()) {
      *err = "run peer index out of range";
      return false;
    }
    InsRun r;
    r.peer = peers[row_peers[i]];
    r.counter = prev_end[r.peer] + static_cast<uint64_t>(in.counter(i));
    r.len = in.len_deleted(i) >> 1;
    r.deleted = in.len_deleted(i) & 1;
    prev_end[r.peer] = r.counter + r.len;
    if (!r.deleted) {
      if (r.len > text.size() - pos) {
        *err = "run text too short";
        return false;
      }
      r.text = sim::Utf8(std::u32string_view(text).substr(pos, r.len));
      pos += r.len;
    }
    out->push_back(r);
  }
  if (pos != text.size()) {
    *err = "run text too long";
    return false;
  }
  int next_explicit = 0;
  for (size_t i = 0; i < n; ++i) {
    InsRun& r = (*out)[first + i];
    for (int side = 0; side < 2; ++side) {
      const uint32_t kind = side == 0 ? in.origin_kinds(i) % 3 : in.origin_kinds(i) / 3;
      std::optional<Id>& origin = side == 0 ? r.left : r.right;
      if (kind == 0) continue;
      if (kind == 1) {
        if (side == 0 ? i == 0 : i + 1 == n) {
          *err = "neighbour origin without a neighbour";
          return false;
        }
        const InsRun& o = (*out)[first + (side == 0 ? i - 1 : i + 1)];
        origin = side == 0 ? Id{o.peer, o.counter + o.len - 1} : Id{o.peer, o.counter};
      } else {
        if (next_explicit >= in.origin_counter_size() || origin_peers[next_explicit] >= peers.size()) {
          *err = "explicit origin missing or out of range";
          return false;
        }
        origin = Id{peers[origin_peers[next_explicit]],
                    r.counter + static_cast<uint64_t>(in.origin_counter(next_explicit))};
        ++next_explicit;
      }
    }
  }
  return true;
}

inline bool DecodeDeletes(const wire::DeleteColumns& in, const std::vector<uint64_t>& peers, std::vector<DelRun>* out,
                          std::string* err) {
  const size_t n = static_cast<size_t>(in.counter_size());
  std::vector<uint32_t> row_peers, target_peers;
  if (static_cast<size_t>(in.len_backward_size()) != n || static_cast<size_t>(in.target_counter_size()) != n ||
      !GetRuns(in.peer_runs(), n, &row_peers) || !GetRuns(in.target_peer_runs(), n, &target_peers)) {
    *err = "delete columns of different lengths";
    return false;
  }
  std::map<uint64_t, uint64_t> prev_end;
  uint64_t prev_target = 0;
  for (size_t i = 0; i < n; ++i) {
    if (row_peers[i] >= peers.size() || target_peers[i] >= peers.size()) {
      *err = "delete peer index out of range";
      return false;
    }
    DelRun d;
    d.peer = peers[row_peers[i]];
    d.counter = prev_end[d.peer] + static_cast<uint64_t>(in.counter(i));
    d.len = in.len_backward(i) >> 1;
    d.backward = in.len_backward(i) & 1;
    prev_end[d.peer] = d.counter + d.len;
    d.target.peer = peers[target_peers[i]];
    d.target.counter = prev_target + static_cast<uint64_t>(in.target_counter(i));
    prev_target = d.backward ? d.target.counter - (d.len - 1) : d.target.counter + (d.len - 1);
    out->push_back(d);
  }
  return true;
}

inline std::vector<uint64_t> PeersOf(const google::protobuf::RepeatedField<uint64_t>& f) {
  return std::vector<uint64_t>(f.begin(), f.end());
}

inline bool FromWire(const wire::Update& u, Ops* ops, std::string* err) {
  const std::vector<uint64_t> peers = PeersOf(u.peers());
  return DecodeRuns(u.inserts(), peers, &ops->ins, err) && DecodeDeletes(u.deletes(), peers, &ops->del, err);
}

// ---------------------------------------------------------------- items

// One inserted item with its own origins, whatever the run split.
struct Item {
  Id id;
  std::optional<Id> left, right;
  bool deleted = false;
  char32_t ch = 0;  // 0 when deleted (no text)
};

inline std::vector<Item> ExpandInserts(const std::vector<InsRun>& runs) {
  std::vector<Item> items;
  for (const InsRun& r : runs) {
    std::u32string text;
    sim::DecodeUtf8(r.text, &text);
    for (uint64_t k = 0; k < r.len; ++k) {
      Item it;
      it.id = {r.peer, r.counter + k};
      it.left = k == 0 ? r.left : std::optional<Id>(Id{r.peer, r.counter + k - 1});
      it.right = r.right;
      it.deleted = r.deleted;
      it.ch = k < text.size() ? text[k] : 0;
      items.push_back(it);
    }
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return std::pair(a.id.peer, a.id.counter) < std::pair(b.id.peer, b.id.counter);
  });
  return items;
}

// (delete op id, target id) pairs, sorted by delete op id.
inline std::vector<std::pair<Id, Id>> ExpandDeletes(const std::vector<DelRun>& dels) {
  std::vector<std::pair<Id, Id>> out;
  for (const DelRun& d : dels) {
    for (uint64_t k = 0; k < d.len; ++k) {
      out.push_back({Id{d.peer, d.counter + k},
                     Id{d.target.peer, d.backward ? d.target.counter - k : d.target.counter + k}});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.peer, a.first.counter) < std::pair(b.first.peer, b.first.counter);
  });
  return out;
}

}  // namespace tandem::wiretest
