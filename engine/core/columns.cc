#include "columns.h"

#include <algorithm>

#include "tandem.pb.h"

#include "column_helpers.h"
#include "snapshot_runs.h"
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

namespace {

using google::protobuf::RepeatedField;
using column::AddDelta;
using column::PutRuns;
using column::RunReader;

enum OriginKind : uint32_t { kNone = 0, kNeighbour = 1, kExplicit = 2 };

}  // namespace

void EncodeRunColumns(const std::vector<InsertOp>& inserts, const std::string& text,
                      const PeerList& peers, wire::RunColumns* out) {
  const size_t n = inserts.size();
  std::vector<uint64_t> prev_end(peers.ids().size(), 0);
  std::vector<uint32_t> row_peers(n), origin_peers;
  std::string* out_text = out->mutable_text();
  for (size_t i = 0; i < n; ++i) {
    const InsertOp& op = inserts[i];
    const uint32_t p = peers.Index(op.id.peer);
    row_peers[i] = p;
    out->add_counter(static_cast<int64_t>(op.id.counter - prev_end[p]));
    prev_end[p] = op.id.counter + op.len;
    out->add_len_deleted((op.len << 1) | (op.deleted ? 1 : 0));
    uint32_t left = kNone, right = kNone;
    if (op.left) {
      const bool neighbour =
          i > 0 && *op.left == OpId{inserts[i - 1].id.peer,
                                    inserts[i - 1].id.counter + inserts[i - 1].len - 1};
      left = neighbour ? kNeighbour : kExplicit;
    }
    if (op.right) right = (i + 1 < n && *op.right == inserts[i + 1].id) ? kNeighbour : kExplicit;
    out->add_origin_kinds(left + 3 * right);
    for (const auto* o :
         {left == kExplicit ? &op.left : nullptr, right == kExplicit ? &op.right : nullptr}) {
      if (!o) continue;
      origin_peers.push_back(peers.Index((*o)->peer));
      out->add_origin_counter(static_cast<int64_t>((*o)->counter - op.id.counter));
    }
    if (!op.deleted) out_text->append(text, op.text_begin, op.text_end - op.text_begin);
  }
  PutRuns(row_peers, out->mutable_peer_runs());
  PutRuns(origin_peers, out->mutable_origin_peer_runs());
}

void EncodeDeleteColumns(const std::vector<DeleteOp>& deletes, const PeerList& peers,
                         wire::DeleteColumns* out) {
  std::vector<uint64_t> prev_end(peers.ids().size(), 0);
  std::vector<uint32_t> row_peers, target_peers;
  uint64_t prev_target = 0;
  for (const DeleteOp& op : deletes) {
    const uint32_t p = peers.Index(op.id.peer);
    row_peers.push_back(p);
    target_peers.push_back(peers.Index(op.target.peer));
    out->add_counter(static_cast<int64_t>(op.id.counter - prev_end[p]));
    prev_end[p] = op.id.counter + op.len;
    const bool backward = op.backward && op.len > 1;
    out->add_len_backward((op.len << 1) | (backward ? 1 : 0));
    out->add_target_counter(static_cast<int64_t>(op.target.counter - prev_target));
    prev_target = backward ? op.target.counter - (op.len - 1) : op.target.counter + (op.len - 1);
  }
  PutRuns(row_peers, out->mutable_peer_runs());
  PutRuns(target_peers, out->mutable_target_peer_runs());
}

namespace {

// One insert row as read from the columns, peers as indices into the
// message's table (origin peers + 1, 0 = none).
struct RowRead {
  uint32_t peer = 0;
  uint64_t counter = 0;
  uint64_t len = 0;
  bool deleted = false;
  size_t text_begin = 0;  // byte range in the columns' text
  size_t text_end = 0;
  uint32_t left_peer = 0;
  uint64_t left_counter = 0;
  uint32_t right_peer = 0;
  uint64_t right_counter = 0;
};

// Reads and validates insert columns (docs/format.md, "Validation") in one
// pass and calls emit(const RowRead&) for each row in order. A "neighbouring
// row" right origin names the next row, so each row is emitted once the
// next one is read. `text` stands for in.text() (a List's is implied).
// On error some rows may have been emitted: callers discard their output.
template <typename Emit>
Status ReadRunRows(const wire::RunColumns& in, std::string_view text, size_t peer_count,
                   bool* ascii_out, Emit&& emit) {
  const size_t n = static_cast<size_t>(in.counter_size());
  if (static_cast<size_t>(in.len_deleted_size()) != n ||
      static_cast<size_t>(in.origin_kinds_size()) != n) {
    return Status::Corrupt("insert columns differ in length");
  }
  RunReader row_peers(in.peer_runs()), origin_peers(in.origin_peer_runs());
  Status s = row_peers.Check(n, peer_count);
  if (s.ok()) s = origin_peers.Check(in.origin_counter_size(), peer_count);
  if (!s.ok()) return s;
  utf8::Counts counts;
  if (!utf8::Validate(text, &counts)) return Status::Corrupt("insert text is not valid UTF-8");
  const bool ascii = counts.code_points == text.size();
  *ascii_out = ascii;
  std::vector<uint64_t> prev_end(peer_count, 0);  // bounded by the message size
  const int explicit_count = in.origin_counter_size();
  int explicit_used = 0;
  size_t text_pos = 0;
  RowRead prev;
  bool prev_right_is_next = false;
  for (size_t i = 0; i < n; ++i) {
    RowRead r;
    const uint32_t p = row_peers.Next();
    r.peer = p;
    if (!AddDelta(prev_end[p], in.counter(static_cast<int>(i)), &r.counter))
      return Status::Corrupt("insert counter out of range");
    const uint64_t ld = in.len_deleted(static_cast<int>(i));
    r.len = ld >> 1;
    r.deleted = ld & 1;
    if (r.len == 0) return Status::Corrupt("empty insert run");
    // Peers cut runs at 2^32 - 1 items; longer ones would only serve to make
    // a receiver allocate without bound.
    if (r.len > UINT32_MAX) return Status::Corrupt("insert run longer than 2^32 - 1 items");
    if (r.len > kMaxCounter + 1 - r.counter) return Status::Corrupt("insert run overflows counters");
    prev_end[p] = r.counter + r.len;
    if (!r.deleted) {
      // Each visible run takes exactly `len` code points of the text.
      if (r.len > text.size() - text_pos) return Status::Corrupt("insert text shorter than its runs");
      size_t end = text_pos;
      if (ascii) {
        end += r.len;
      } else {
        for (uint64_t k = 0; k < r.len; ++k) {
          if (end >= text.size()) return Status::Corrupt("insert text shorter than its runs");
          end += utf8::SequenceLength(static_cast<unsigned char>(text[end]));
        }
      }
      r.text_begin = text_pos;
      r.text_end = end;
      text_pos = end;
    }
    // Origins. An origin existed before the insert: from the same peer it
    // is older.
    const uint32_t kinds = in.origin_kinds(static_cast<int>(i));
    if (kinds > 8) return Status::Corrupt("unknown origin kind");
    bool right_is_next = false;
    for (int side = 0; side < 2; ++side) {
      const uint32_t kind = side == 0 ? kinds % 3 : kinds / 3;
      uint32_t& op = side == 0 ? r.left_peer : r.right_peer;
      uint64_t& oc = side == 0 ? r.left_counter : r.right_counter;
      if (kind == kNone) continue;
      if (kind == kNeighbour) {
        if (side == 0) {
          if (i == 0) return Status::Corrupt("first row's left origin names no row");
          op = prev.peer + 1;
          oc = prev.counter + prev.len - 1;
        } else {
          if (i + 1 == n) return Status::Corrupt("last row's right origin names no row");
          right_is_next = true;  // filled in when the next row is read
          continue;
        }
      } else {
        if (explicit_used >= explicit_count) return Status::Corrupt("missing explicit origin");
        const uint32_t q = origin_peers.Next();
        if (q >= peer_count || !AddDelta(r.counter, in.origin_counter(explicit_used), &oc))
          return Status::Corrupt("origin out of range");
        ++explicit_used;
        op = q + 1;
      }
      if (op == r.peer + 1 && oc >= r.counter)
        return Status::Corrupt("origin is not older than its insert");
    }
    if (i > 0) {
      if (prev_right_is_next) {
        prev.right_peer = r.peer + 1;
        prev.right_counter = r.counter;
        if (r.peer == prev.peer && r.counter >= prev.counter)
          return Status::Corrupt("origin is not older than its insert");
      }
      emit(prev);
    }
    prev = r;
    prev_right_is_next = right_is_next;
  }
  if (text_pos != text.size()) return Status::Corrupt("insert text longer than its runs");
  if (explicit_used != explicit_count) return Status::Corrupt("unused explicit origins");
  if (n > 0) emit(prev);
  return Status::Ok();
}

}  // namespace

Status DecodeRunColumns(const wire::RunColumns& in, std::span<const PeerId> peers, UpdateOps* out) {
  return DecodeRunColumns(in, in.text(), peers, out);
}

Status DecodeRunColumns(const wire::RunColumns& in, std::string_view text,
                        std::span<const PeerId> peers, UpdateOps* out) {
  const bool first_message = out->text.empty() && out->inserts.empty();
  const size_t base = out->text.size();
  out->inserts.reserve(out->inserts.size() + static_cast<size_t>(in.counter_size()));
  bool ascii = false;
  Status s = ReadRunRows(in, text, peers.size(), &ascii, [&](const RowRead& r) {
    InsertOp op;
    op.id = OpId{peers[r.peer], r.counter};
    op.len = r.len;
    op.deleted = r.deleted;
    if (r.left_peer) op.left = OpId{peers[r.left_peer - 1], r.left_counter};
    if (r.right_peer) op.right = OpId{peers[r.right_peer - 1], r.right_counter};
    op.text_begin = base + r.text_begin;
    op.text_end = base + r.text_end;
    out->inserts.push_back(op);
  });
  if (!s.ok()) return s;
  out->ascii = (first_message || out->ascii) && ascii;
  out->text.append(text);
  return Status::Ok();
}

Status DecodeRunColumnsAsRuns(const wire::RunColumns& in, std::span<const PeerIndex> local,
                              std::vector<Run>* runs, std::string_view* text) {
  *text = in.text();
  runs->reserve(static_cast<size_t>(in.counter_size()));
  bool ascii = false;
  return ReadRunRows(in, *text, local.size(), &ascii, [&](const RowRead& r) {
    Run first;
    first.peer = local[r.peer];
    first.counter = r.counter;
    if (r.left_peer) {
      first.left_peer = local[r.left_peer - 1] + 1;
      first.left_counter = r.left_counter;
    }
    if (r.right_peer) {
      first.right_peer = local[r.right_peer - 1] + 1;
      first.right_counter = r.right_counter;
    }
    AppendRowRuns(first, r.len, r.deleted,
                  text->substr(r.text_begin, r.text_end - r.text_begin), ascii, runs);
  });
}

Status DecodeDeleteColumns(const wire::DeleteColumns& in, std::span<const PeerId> peers,
                           UpdateOps* out) {
  const size_t n = static_cast<size_t>(in.counter_size());
  if (static_cast<size_t>(in.len_backward_size()) != n ||
      static_cast<size_t>(in.target_counter_size()) != n) {
    return Status::Corrupt("delete columns differ in length");
  }
  RunReader row_peers(in.peer_runs()), target_peers(in.target_peer_runs());
  Status s = row_peers.Check(n, peers.size());
  if (s.ok()) s = target_peers.Check(n, peers.size());
  if (!s.ok()) return s;
  std::vector<uint64_t> prev_end(peers.size(), 0);
  uint64_t prev_target = 0;
  out->deletes.reserve(out->deletes.size() + n);
  for (size_t i = 0; i < n; ++i) {
    DeleteOp op;
    const uint32_t p = row_peers.Next();
    op.id.peer = peers[p];
    op.target.peer = peers[target_peers.Next()];
    uint64_t& prev = prev_end[p];
    if (!AddDelta(prev, in.counter(i), &op.id.counter)) {
      return Status::Corrupt("delete counter out of range");
    }
    op.len = in.len_backward(i) >> 1;
    op.backward = (in.len_backward(i) & 1) && op.len > 1;
    if (op.len == 0) return Status::Corrupt("empty delete run");
    if (op.len > UINT32_MAX) return Status::Corrupt("delete run longer than 2^32 - 1 operations");
    if (op.len > kMaxCounter + 1 - op.id.counter)
      return Status::Corrupt("delete run overflows counters");
    prev = op.id.counter + op.len;
    if (!AddDelta(prev_target, in.target_counter(i), &op.target.counter)) {
      return Status::Corrupt("delete target out of range");
    }
    if (op.backward ? op.target.counter < op.len - 1
                    : op.len - 1 > kMaxCounter - op.target.counter) {
      return Status::Corrupt("delete targets out of range");
    }
    prev_target = op.backward ? op.target.counter - (op.len - 1) : op.target.counter + (op.len - 1);
    // A peer can only delete what existed before each delete: op k targets
    // target +/- k and has counter + k, so the first target must be older.
    if (op.target.peer == op.id.peer && op.target.counter >= op.id.counter) {
      return Status::Corrupt("delete targets an item not older than the delete");
    }
    out->deletes.push_back(op);
  }
  return Status::Ok();
}

}  // namespace tandem
