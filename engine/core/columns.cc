#include "columns.h"

#include <algorithm>

#include "tandem.pb.h"

#include "column_helpers.h"
#include "delete_log.h"
#include "run_tree.h"
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
using column::PrevEnds;
using column::PutRuns;
using column::RunReader;

enum OriginKind : uint32_t { kNone = 0, kNeighbour = 1, kExplicit = 2 };

}  // namespace

namespace {

// `text` null: a List's rows, whose content is implied.
void EncodeRows(const std::vector<InsertOp>& inserts, const std::string* text,
                const PeerList& peers, wire::RunColumns* out) {
  const size_t n = inserts.size();
  std::vector<uint64_t> prev_end(peers.ids().size(), 0);
  std::vector<uint32_t> row_peers(n), origin_peers;
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
    if (!op.deleted && text)
      out->mutable_text()->append(*text, op.text_begin, op.text_end - op.text_begin);
  }
  PutRuns(row_peers, out->mutable_peer_runs());
  PutRuns(origin_peers, out->mutable_origin_peer_runs());
}

}  // namespace

void EncodeRunColumns(const std::vector<InsertOp>& inserts, const std::string& text,
                      const PeerList& peers, wire::RunColumns* out) {
  EncodeRows(inserts, &text, peers, out);
}

void EncodeListRunColumns(const std::vector<InsertOp>& inserts, const PeerList& peers,
                          wire::RunColumns* out) {
  EncodeRows(inserts, nullptr, peers, out);
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

// What the visible rows take: UTF-8 text, or (a List's rows) one implied
// ASCII placeholder per item, which need not exist as bytes.
struct RowContent {
  std::string_view text;
  bool implied = false;
  size_t placeholders = 0;  // when implied
};

// Reads and validates insert columns (docs/format.md, "Validation") in one
// pass and calls emit(const RowRead&) for each row in order. A "neighbouring
// row" right origin names the next row, whose id is read before the row is
// emitted. `content` stands for in.text().
// On error some rows may have been emitted: callers discard their output.
template <typename Emit>
Status ReadRunRows(const wire::RunColumns& in, const RowContent& content, size_t peer_count,
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
  const std::string_view text = content.text;
  const size_t text_size = content.implied ? content.placeholders : text.size();
  bool ascii = true;
  if (!content.implied) {
    utf8::Counts counts;
    if (!utf8::Validate(text, &counts)) return Status::Corrupt("insert text is not valid UTF-8");
    ascii = counts.code_points == text.size();
  }
  *ascii_out = ascii;
  // The columns as arrays (their lengths are checked above).
  const int64_t* counter = in.counter().data();
  const uint64_t* len_deleted = in.len_deleted().data();
  const uint32_t* origin_kinds = in.origin_kinds().data();
  const int64_t* origin_counter = in.origin_counter().data();
  const size_t explicit_count = static_cast<size_t>(in.origin_counter_size());
  size_t explicit_used = 0;
  PrevEnds prev_end(peer_count);  // bounded by the message size
  auto read_id = [&](size_t i, uint32_t* peer, uint64_t* c) {
    *peer = row_peers.Next();
    return AddDelta(prev_end[*peer], counter[i], c);
  };
  // The next explicit origin, or why there is none (no Status: this runs for
  // most rows).
  auto read_explicit = [&](const RowRead& r, uint32_t* op, uint64_t* oc) -> const char* {
    if (explicit_used >= explicit_count) return "missing explicit origin";
    const uint32_t q = origin_peers.Next();
    if (q >= peer_count || !AddDelta(r.counter, origin_counter[explicit_used], oc))
      return "origin out of range";
    ++explicit_used;
    *op = q + 1;
    return nullptr;
  };
  size_t text_pos = 0;
  // This row's id (read ahead, with the previous row), and the previous
  // row's peer and last item: what "neighbouring row" origins name.
  uint32_t peer = 0, prev_peer = 0;
  uint64_t c = 0, prev_last = 0;
  if (n > 0 && !read_id(0, &peer, &c)) return Status::Corrupt("insert counter out of range");
  for (size_t i = 0; i < n; ++i) {
    RowRead r;
    r.peer = peer;
    r.counter = c;
    const uint64_t ld = len_deleted[i];
    r.len = ld >> 1;
    r.deleted = ld & 1;
    if (r.len == 0) return Status::Corrupt("empty insert run");
    // Peers cut runs at 2^32 - 1 items; longer ones would only serve to make
    // a receiver allocate without bound.
    if (r.len > UINT32_MAX) return Status::Corrupt("insert run longer than 2^32 - 1 items");
    if (r.len > kMaxCounter + 1 - r.counter) return Status::Corrupt("insert run overflows counters");
    prev_end[r.peer] = r.counter + r.len;
    if (!r.deleted) {
      // Each visible run takes exactly `len` code points of the text.
      if (r.len > text_size - text_pos) return Status::Corrupt("insert text shorter than its runs");
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
    // Origins, left before right in the explicit columns. An origin existed
    // before the insert: from the same peer it is older.
    const uint32_t kinds = origin_kinds[i];
    if (kinds > 8) return Status::Corrupt("unknown origin kind");
    const uint32_t left = kinds % 3, right = kinds / 3;
    if (left == kNeighbour) {
      if (i == 0) return Status::Corrupt("first row's left origin names no row");
      r.left_peer = prev_peer + 1;
      r.left_counter = prev_last;
    } else if (left == kExplicit) {
      if (const char* e = read_explicit(r, &r.left_peer, &r.left_counter)) return Status::Corrupt(e);
    }
    if (right == kExplicit) {
      if (const char* e = read_explicit(r, &r.right_peer, &r.right_counter))
        return Status::Corrupt(e);
    }
    if (i + 1 < n && !read_id(i + 1, &peer, &c)) return Status::Corrupt("insert counter out of range");
    if (right == kNeighbour) {
      if (i + 1 == n) return Status::Corrupt("last row's right origin names no row");
      r.right_peer = peer + 1;
      r.right_counter = c;
    }
    if ((r.left_peer == r.peer + 1 && r.left_counter >= r.counter) ||
        (r.right_peer == r.peer + 1 && r.right_counter >= r.counter)) {
      return Status::Corrupt("origin is not older than its insert");
    }
    prev_peer = r.peer;
    prev_last = r.counter + r.len - 1;
    emit(r);
  }
  if (text_pos != text_size) return Status::Corrupt("insert text longer than its runs");
  if (explicit_used != explicit_count) return Status::Corrupt("unused explicit origins");
  return Status::Ok();
}

InsertOp ToInsertOp(const RowRead& r, std::span<const PeerId> peers, size_t text_base) {
  InsertOp op;
  op.id = OpId{peers[r.peer], r.counter};
  op.len = r.len;
  op.deleted = r.deleted;
  if (r.left_peer) op.left = OpId{peers[r.left_peer - 1], r.left_counter};
  if (r.right_peer) op.right = OpId{peers[r.right_peer - 1], r.right_counter};
  op.text_begin = text_base + r.text_begin;
  op.text_end = text_base + r.text_end;
  return op;
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
  Status s = ReadRunRows(in, RowContent{text}, peers.size(), &ascii, [&](const RowRead& r) {
    out->inserts.push_back(ToInsertOp(r, peers, base));
  });
  if (!s.ok()) return s;
  out->ascii = (first_message || out->ascii) && ascii;
  out->text.append(text);
  return Status::Ok();
}

Status DecodeListRunColumns(const wire::RunColumns& in, size_t items,
                            std::span<const PeerId> peers, std::vector<InsertOp>* out) {
  if (!in.text().empty()) return Status::Corrupt("list inserts carry text");
  out->reserve(out->size() + static_cast<size_t>(in.counter_size()));
  bool ascii = true;
  return ReadRunRows(in, RowContent{{}, true, items}, peers.size(), &ascii,
                     [&](const RowRead& r) { out->push_back(ToInsertOp(r, peers, 0)); });
}

Status LoadRunColumns(const wire::RunColumns& in, size_t peer_count, RunTree* tree) {
  const std::string_view text = in.text();
  const size_t n = static_cast<size_t>(in.counter_size());
  RunTree::Loader loader(tree, text, n);
  if (RunReader(in.peer_runs()).Check(n, peer_count).ok()) {
    // Each peer's share of the index, from the run-length pairs (checked:
    // they add up to the rows); ReadRunRows refuses them otherwise.
    std::vector<size_t> rows(peer_count, 0);
    for (int i = 0; i < in.peer_runs_size(); i += 2) rows[in.peer_runs(i)] += in.peer_runs(i + 1);
    for (size_t p = 0; p < peer_count; ++p)
      if (rows[p]) loader.ReservePeer(static_cast<PeerIndex>(p), rows[p]);
  }
  bool ascii = false;
  Status s = ReadRunRows(in, RowContent{text}, peer_count, &ascii, [&](const RowRead& r) {
    // The tree's peer indices are the message's, and origins take index + 1
    // on both sides.
    if (r.deleted || (ascii && r.len <= kMaxVisibleRunLen)) {
      // One run with an item per byte (rows are at most UINT32_MAX long),
      // built in place: most rows.
      Run& run = loader.Slot();
      run.counter = r.counter;
      run.left_counter = r.left_counter;
      run.right_counter = r.right_counter;
      run.peer = r.peer;
      run.left_peer = r.left_peer;
      run.right_peer = r.right_peer;
      run.len = static_cast<uint32_t>(r.len);
      run.bytes = run.utf16 = r.deleted ? 0 : run.len;
      loader.Commit();
      return;
    }
    Run first;
    first.peer = r.peer;
    first.counter = r.counter;
    first.left_peer = r.left_peer;
    first.left_counter = r.left_counter;
    first.right_peer = r.right_peer;
    first.right_counter = r.right_counter;
    ForEachRowRun(first, r.len, r.deleted, text.substr(r.text_begin, r.text_end - r.text_begin),
                  ascii, [&loader](const Run& run) { loader.Add(run); });
  });
  if (!s.ok()) return s;
  if (!loader.Finish()) return Status::Corrupt("two runs share an id");
  return Status::Ok();
}

namespace {

// One delete row as read from the columns, peers as indices into the
// message's table.
struct DeleteRow {
  uint32_t peer = 0;
  uint64_t counter = 0;
  uint64_t len = 0;
  uint32_t target_peer = 0;
  uint64_t target = 0;
  bool backward = false;
};

// Reads and validates delete columns in one pass and calls
// emit(const DeleteRow&) for each row in order. On error some rows may have
// been emitted: callers discard their output.
template <typename Emit>
Status ReadDeleteRows(const wire::DeleteColumns& in, size_t peer_count, Emit&& emit) {
  const size_t n = static_cast<size_t>(in.counter_size());
  if (static_cast<size_t>(in.len_backward_size()) != n ||
      static_cast<size_t>(in.target_counter_size()) != n) {
    return Status::Corrupt("delete columns differ in length");
  }
  RunReader row_peers(in.peer_runs()), target_peers(in.target_peer_runs());
  Status s = row_peers.Check(n, peer_count);
  if (s.ok()) s = target_peers.Check(n, peer_count);
  if (!s.ok()) return s;
  // The columns as arrays (their lengths are checked above).
  const int64_t* counter = in.counter().data();
  const uint64_t* len_backward = in.len_backward().data();
  const int64_t* target_counter = in.target_counter().data();
  PrevEnds prev_end(peer_count);
  uint64_t prev_target = 0;
  for (size_t i = 0; i < n; ++i) {
    DeleteRow op;
    op.peer = row_peers.Next();
    op.target_peer = target_peers.Next();
    uint64_t& prev = prev_end[op.peer];
    if (!AddDelta(prev, counter[i], &op.counter)) return Status::Corrupt("delete counter out of range");
    op.len = len_backward[i] >> 1;
    op.backward = (len_backward[i] & 1) && op.len > 1;
    if (op.len == 0) return Status::Corrupt("empty delete run");
    if (op.len > UINT32_MAX) return Status::Corrupt("delete run longer than 2^32 - 1 operations");
    if (op.len > kMaxCounter + 1 - op.counter) return Status::Corrupt("delete run overflows counters");
    prev = op.counter + op.len;
    if (!AddDelta(prev_target, target_counter[i], &op.target))
      return Status::Corrupt("delete target out of range");
    if (op.backward ? op.target < op.len - 1 : op.len - 1 > kMaxCounter - op.target)
      return Status::Corrupt("delete targets out of range");
    prev_target = op.backward ? op.target - (op.len - 1) : op.target + (op.len - 1);
    // A peer can only delete what existed before each delete: op k targets
    // target +/- k and has counter + k, so the first target must be older.
    if (op.target_peer == op.peer && op.target >= op.counter)
      return Status::Corrupt("delete targets an item not older than the delete");
    emit(op);
  }
  return Status::Ok();
}

}  // namespace

Status DecodeDeleteColumns(const wire::DeleteColumns& in, std::span<const PeerId> peers,
                           UpdateOps* out) {
  out->deletes.reserve(out->deletes.size() + static_cast<size_t>(in.counter_size()));
  return ReadDeleteRows(in, peers.size(), [&](const DeleteRow& r) {
    out->deletes.push_back(
        DeleteOp{OpId{peers[r.peer], r.counter}, r.len, OpId{peers[r.target_peer], r.target},
                 r.backward});
  });
}

Status LoadDeleteColumns(const wire::DeleteColumns& in, size_t peer_count, DeleteLog* log) {
  log->Reserve(static_cast<size_t>(in.counter_size()));
  // Message peer indices ascend with the ids: (index, counter) order is id order.
  bool sorted = true;
  uint32_t last_peer = 0;
  uint64_t last_end = 0;
  Status s = ReadDeleteRows(in, peer_count, [&](const DeleteRow& r) {
    sorted &= r.peer > last_peer || (r.peer == last_peer && r.counter >= last_end);
    last_peer = r.peer;
    last_end = r.counter + r.len;
    // Rows are at most UINT32_MAX long (checked): one log entry each, or
    // none when the row continues the previous one.
    log->Append(r.peer, r.counter, static_cast<uint32_t>(r.len), r.target_peer, r.target,
                r.backward);
  });
  if (!s.ok()) return s;
  if (!sorted) return Status::Corrupt("deletes are not sorted by id and disjoint");
  return Status::Ok();
}

}  // namespace tandem
