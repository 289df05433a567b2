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

inline void EncodeRuns(const std::vector<InsRun>& runs, const std::vector<uint64_t>& peers, wire::RunColumns* out) {
  std::map<uint64_t, uint64_t> prev_end;
  std::string text;
  for (const InsRun& r : runs) {
    out->add_peer(IndexOf(peers, r.peer));
    out->add_counter(static_cast<int64_t>(r.counter - prev_end[r.peer]));
    prev_end[r.peer] = r.counter + r.len;
    out->add_len_deleted((r.len << 1) | (r.deleted ? 1 : 0));
    out->add_left_peer(r.left ? IndexOf(peers, r.left->peer) + 1 : 0);
    out->add_left_counter(r.left ? static_cast<int64_t>(r.left->counter - r.counter) : 0);
    out->add_right_peer(r.right ? IndexOf(peers, r.right->peer) + 1 : 0);
    out->add_right_counter(r.right ? static_cast<int64_t>(r.right->counter - r.counter) : 0);
    if (!r.deleted) text += r.text;
  }
  out->set_text(text);
}

inline void EncodeDeletes(const std::vector<DelRun>& dels, const std::vector<uint64_t>& peers, wire::DeleteColumns* out) {
  std::map<uint64_t, uint64_t> prev_end;
  for (const DelRun& d : dels) {
    out->add_peer(IndexOf(peers, d.peer));
    out->add_counter(d.counter - prev_end[d.peer]);
    prev_end[d.peer] = d.counter + d.len;
    out->add_len_backward((d.len << 1) | (d.backward ? 1 : 0));
    out->add_target_peer(IndexOf(peers, d.target.peer));
    out->add_target_counter(static_cast<int64_t>(d.target.counter - d.counter));
  }
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

inline wire::Update ToWire(const Ops& ops, uint32_t format_version = CurrentFormatVersion()) {
  wire::Update u;
  u.set_format_version(format_version);
  const std::vector<uint64_t> peers = PeersOf(ops);
  for (uint64_t p : peers) u.add_peers(p);
  if (!ops.ins.empty()) EncodeRuns(ops.ins, peers, u.mutable_inserts());
  if (!ops.del.empty()) EncodeDeletes(ops.del, peers, u.mutable_deletes());
  return u;
}

inline std::string BuildUpdate(const Ops& ops, uint32_t format_version = CurrentFormatVersion()) {
  return ToWire(ops, format_version).SerializeAsString();
}

// ---------------------------------------------------------------- decoding

inline bool DecodeRuns(const wire::RunColumns& in, const std::vector<uint64_t>& peers, std::vector<InsRun>* out,
                       std::string* err) {
  const int n = in.peer_size();
  if (in.counter_size() != n || in.len_deleted_size() != n || in.left_peer_size() != n || in.left_counter_size() != n ||
      in.right_peer_size() != n || in.right_counter_size() != n) {
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
  for (int i = 0; i < n; ++i) {
    auto peer_at = [&](uint32_t idx, uint64_t* p) {
      if (idx >= peers.size()) return false;
      *p = peers[idx];
      return true;
    };
    InsRun r;
    if (!peer_at(in.peer(i), &r.peer)) {
      *err = "run peer index out of range";
      return false;
    }
    r.counter = prev_end[r.peer] + static_cast<uint64_t>(in.counter(i));
    r.len = in.len_deleted(i) >> 1;
    r.deleted = in.len_deleted(i) & 1;
    prev_end[r.peer] = r.counter + r.len;
    if (in.left_peer(i) != 0) {
      Id id;
      if (!peer_at(in.left_peer(i) - 1, &id.peer)) {
        *err = "left origin peer out of range";
        return false;
      }
      id.counter = r.counter + static_cast<uint64_t>(in.left_counter(i));
      r.left = id;
    }
    if (in.right_peer(i) != 0) {
      Id id;
      if (!peer_at(in.right_peer(i) - 1, &id.peer)) {
        *err = "right origin peer out of range";
        return false;
      }
      id.counter = r.counter + static_cast<uint64_t>(in.right_counter(i));
      r.right = id;
    }
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
  return true;
}

inline bool DecodeDeletes(const wire::DeleteColumns& in, const std::vector<uint64_t>& peers, std::vector<DelRun>* out,
                          std::string* err) {
  const int n = in.peer_size();
  if (in.counter_size() != n || in.len_backward_size() != n || in.target_peer_size() != n ||
      in.target_counter_size() != n) {
    *err = "delete columns of different lengths";
    return false;
  }
  std::map<uint64_t, uint64_t> prev_end;
  for (int i = 0; i < n; ++i) {
    if (in.peer(i) >= peers.size() || in.target_peer(i) >= peers.size()) {
      *err = "delete peer index out of range";
      return false;
    }
    DelRun d;
    d.peer = peers[in.peer(i)];
    d.counter = prev_end[d.peer] + in.counter(i);
    d.len = in.len_backward(i) >> 1;
    d.backward = in.len_backward(i) & 1;
    prev_end[d.peer] = d.counter + d.len;
    d.target.peer = peers[in.target_peer(i)];
    d.target.counter = d.counter + static_cast<uint64_t>(in.target_counter(i));
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
