#include "columns.h"

#include <algorithm>

#include "tandem.pb.h"
#include "utf8.h"

namespace tandem {

void PeerList::AddAll(const UpdateOps& ops) {
  for (const InsertOp& op : ops.inserts) {
    ids_.push_back(op.id.peer);
    if (op.left) ids_.push_back(op.left->peer);
    if (op.right) ids_.push_back(op.right->peer);
  }
  for (const DeleteOp& op : ops.deletes) {
    ids_.push_back(op.id.peer);
    ids_.push_back(op.target.peer);
  }
}

void PeerList::Seal() {
  std::sort(ids_.begin(), ids_.end());
  ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
}

uint32_t PeerList::Index(PeerId id) const {
  return static_cast<uint32_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
}

Status CheckPeerTable(std::span<const PeerId> peers) {
  for (size_t i = 1; i < peers.size(); ++i) {
    if (peers[i - 1] >= peers[i]) return Status::Corrupt("peer table is not strictly ascending");
  }
  return Status::Ok();
}

void EncodeRunColumns(const std::vector<InsertOp>& inserts, const std::string& text,
                      const PeerList& peers, wire::RunColumns* out) {
  std::vector<uint64_t> prev_end(peers.ids().size(), 0);
  std::string* out_text = out->mutable_text();
  for (const InsertOp& op : inserts) {
    const uint32_t p = peers.Index(op.id.peer);
    out->add_peer(p);
    out->add_counter(static_cast<int64_t>(op.id.counter - prev_end[p]));
    prev_end[p] = op.id.counter + op.len;
    out->add_len_deleted((op.len << 1) | (op.deleted ? 1 : 0));
    if (op.left) {
      out->add_left_peer(peers.Index(op.left->peer) + 1);
      out->add_left_counter(static_cast<int64_t>(op.left->counter - op.id.counter));
    } else {
      out->add_left_peer(0);
      out->add_left_counter(0);
    }
    if (op.right) {
      out->add_right_peer(peers.Index(op.right->peer) + 1);
      out->add_right_counter(static_cast<int64_t>(op.right->counter - op.id.counter));
    } else {
      out->add_right_peer(0);
      out->add_right_counter(0);
    }
    if (!op.deleted) out_text->append(text, op.text_begin, op.text_end - op.text_begin);
  }
}

void EncodeDeleteColumns(const std::vector<DeleteOp>& deletes, const PeerList& peers,
                         wire::DeleteColumns* out) {
  std::vector<uint64_t> prev_end(peers.ids().size(), 0);
  for (const DeleteOp& op : deletes) {
    const uint32_t p = peers.Index(op.id.peer);
    out->add_peer(p);
    out->add_counter(op.id.counter - prev_end[p]);
    prev_end[p] = op.id.counter + op.len;
    out->add_len_backward((op.len << 1) | (op.backward && op.len > 1 ? 1 : 0));
    out->add_target_peer(peers.Index(op.target.peer));
    out->add_target_counter(static_cast<int64_t>(op.target.counter - op.id.counter));
  }
}

namespace {

// base + delta, if the result is a valid counter.
bool AddDelta(uint64_t base, int64_t delta, uint64_t* out) {
  if (delta < 0) {
    const uint64_t d = static_cast<uint64_t>(-(delta + 1)) + 1;
    if (d > base) return false;
    *out = base - d;
  } else {
    if (static_cast<uint64_t>(delta) > kMaxCounter || base > kMaxCounter - static_cast<uint64_t>(delta)) {
      return false;
    }
    *out = base + static_cast<uint64_t>(delta);
  }
  return *out <= kMaxCounter;
}

// Reads origin (peer_plus_one, delta) relative to `counter`.
Status ReadOrigin(uint32_t peer_plus_one, int64_t delta, uint64_t counter, PeerId self,
                  std::span<const PeerId> peers, std::optional<OpId>* out) {
  if (peer_plus_one == 0) {
    out->reset();
    return Status::Ok();
  }
  if (peer_plus_one > peers.size()) return Status::Corrupt("origin peer index out of range");
  uint64_t c;
  if (!AddDelta(counter, delta, &c)) return Status::Corrupt("origin counter out of range");
  const PeerId peer = peers[peer_plus_one - 1];
  // An origin existed before the insert: from the same peer it must be older.
  if (peer == self && c >= counter) return Status::Corrupt("origin is not older than its insert");
  *out = OpId{peer, c};
  return Status::Ok();
}

}  // namespace

Status DecodeRunColumns(const wire::RunColumns& in, std::span<const PeerId> peers, UpdateOps* out) {
  const int n = in.peer_size();
  if (in.counter_size() != n || in.len_deleted_size() != n || in.left_peer_size() != n ||
      in.left_counter_size() != n || in.right_peer_size() != n || in.right_counter_size() != n) {
    return Status::Corrupt("insert columns differ in length");
  }
  const std::string& text = in.text();
  utf8::Counts counts;
  if (!utf8::Validate(text, &counts)) return Status::Corrupt("insert text is not valid UTF-8");
  const size_t base = out->text.size();
  out->text.append(text);
  std::vector<uint64_t> prev_end(peers.size(), 0);  // bounded by the message size
  size_t text_pos = 0;
  out->inserts.reserve(out->inserts.size() + n);
  for (int i = 0; i < n; ++i) {
    const uint32_t p = in.peer(i);
    if (p >= peers.size()) return Status::Corrupt("insert peer index out of range");
    InsertOp op;
    op.id.peer = peers[p];
    uint64_t& prev = prev_end[p];
    if (!AddDelta(prev, in.counter(i), &op.id.counter)) return Status::Corrupt("insert counter out of range");
    op.len = in.len_deleted(i) >> 1;
    op.deleted = in.len_deleted(i) & 1;
    if (op.len == 0) return Status::Corrupt("empty insert run");
    // Peers cut runs at 2^32 - 1 items; longer ones would only serve to make
    // a receiver allocate without bound.
    if (op.len > UINT32_MAX) return Status::Corrupt("insert run longer than 2^32 - 1 items");
    if (op.len > kMaxCounter + 1 - op.id.counter) return Status::Corrupt("insert run overflows counters");
    prev = op.id.counter + op.len;
    Status s = ReadOrigin(in.left_peer(i), in.left_counter(i), op.id.counter, op.id.peer, peers, &op.left);
    if (!s.ok()) return s;
    s = ReadOrigin(in.right_peer(i), in.right_counter(i), op.id.counter, op.id.peer, peers, &op.right);
    if (!s.ok()) return s;
    if (!op.deleted) {
      // Each visible run takes exactly `len` code points of the text.
      if (op.len > text.size() - text_pos) return Status::Corrupt("insert text shorter than its runs");
      size_t end = text_pos;
      for (uint64_t k = 0; k < op.len; ++k) {
        if (end >= text.size()) return Status::Corrupt("insert text shorter than its runs");
        end += utf8::SequenceLength(static_cast<unsigned char>(text[end]));
      }
      if (end - text_pos > UINT32_MAX) return Status::Corrupt("insert run too large");
      op.text_begin = base + text_pos;
      op.text_end = base + end;
      text_pos = end;
    }
    out->inserts.push_back(op);
  }
  if (text_pos != text.size()) return Status::Corrupt("insert text longer than its runs");
  return Status::Ok();
}

Status DecodeDeleteColumns(const wire::DeleteColumns& in, std::span<const PeerId> peers,
                           UpdateOps* out) {
  const int n = in.peer_size();
  if (in.counter_size() != n || in.len_backward_size() != n || in.target_peer_size() != n ||
      in.target_counter_size() != n) {
    return Status::Corrupt("delete columns differ in length");
  }
  std::vector<uint64_t> prev_end(peers.size(), 0);
  out->deletes.reserve(out->deletes.size() + n);
  for (int i = 0; i < n; ++i) {
    const uint32_t p = in.peer(i);
    const uint32_t tp = in.target_peer(i);
    if (p >= peers.size() || tp >= peers.size()) return Status::Corrupt("delete peer index out of range");
    DeleteOp op;
    op.id.peer = peers[p];
    op.target.peer = peers[tp];
    uint64_t& prev = prev_end[p];
    if (in.counter(i) > kMaxCounter || !AddDelta(prev, static_cast<int64_t>(in.counter(i)), &op.id.counter)) {
      return Status::Corrupt("delete counter out of range");
    }
    op.len = in.len_backward(i) >> 1;
    op.backward = (in.len_backward(i) & 1) && op.len > 1;
    if (op.len == 0) return Status::Corrupt("empty delete run");
    if (op.len > UINT32_MAX) return Status::Corrupt("delete run longer than 2^32 - 1 operations");
    if (op.len > kMaxCounter + 1 - op.id.counter) return Status::Corrupt("delete run overflows counters");
    prev = op.id.counter + op.len;
    if (!AddDelta(op.id.counter, in.target_counter(i), &op.target.counter)) {
      return Status::Corrupt("delete target out of range");
    }
    if (op.backward ? op.target.counter < op.len - 1 : op.len - 1 > kMaxCounter - op.target.counter) {
      return Status::Corrupt("delete targets out of range");
    }
    // A peer can only delete items that existed before the delete.
    if (op.target.peer == op.id.peer && op.target_high() >= op.id.counter) {
      return Status::Corrupt("delete targets an item not older than the delete");
    }
    out->deletes.push_back(op);
  }
  return Status::Ok();
}

}  // namespace tandem
