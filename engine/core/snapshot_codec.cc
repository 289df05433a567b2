// Text::EncodeSnapshot / Text::DecodeSnapshot: the whole replica <->
// wire::Snapshot. Decoding validates the message and builds the run tree in
// one pass (RunTree::Load); it does not replay operations.
#include <algorithm>

#include "tandem.pb.h"

#include "columns.h"
#include "delete_log.h"
#include "format.h"
#include "pending_ops.h"
#include "sequence.h"
#include "snapshot_envelope.h"
#include "text.h"
#include "update_codec.h"
#include "utf8.h"

namespace tandem {

std::string Text::EncodeSnapshot() const {
  const PeerTable& peers = seq_->peers();
  UpdateOps rows;  // runs in document order, merged as far as they go
  for (const RunLeaf* l = seq_->tree().first_leaf(); l; l = l->next) {
    uint64_t begin = rows.text.size();
    for (uint32_t i = 0; i < l->count; begin += l->runs[i].bytes, ++i) {
      const Run& r = l->runs[i];
      const PeerId pid = peers.id(r.peer);
      std::optional<OpId> right;
      if (r.right_peer != kNoOrigin) right = OpId{peers.id(r.right_peer - 1), r.right_counter};
      if (!rows.inserts.empty()) {
        InsertOp& last = rows.inserts.back();
        if (last.id.peer == pid && last.id.counter + last.len == r.counter &&
            last.deleted == r.deleted() && r.left_peer == r.peer + 1 &&
            r.left_counter == r.counter - 1 && last.right == right) {
          last.len += r.len;
          last.text_end += r.bytes;
          continue;
        }
      }
      InsertOp op;
      op.id = OpId{pid, r.counter};
      op.len = r.len;
      op.deleted = r.deleted();
      if (r.left_peer != kNoOrigin) op.left = OpId{peers.id(r.left_peer - 1), r.left_counter};
      op.right = right;
      op.text_begin = begin;
      op.text_end = begin + r.bytes;
      rows.inserts.push_back(op);
    }
    rows.text += l->text;
  }
  UpdateOps deletes;
  for (const DeleteRun& d : deletes_->runs()) {
    deletes.deletes.push_back(DeleteOp{OpId{peers.id(d.peer), d.counter}, d.len,
                                       OpId{peers.id(d.target_peer), d.target}, d.backward});
  }
  Canonicalize(&deletes);

  PeerList list;
  list.AddAll(rows);
  list.AddAll(deletes);
  list.Seal();
  wire::SnapshotBody msg;
  for (PeerId id : list.ids()) msg.add_peers(id);
  if (!rows.inserts.empty()) EncodeRunColumns(rows.inserts, rows.text, list, msg.mutable_runs());
  if (!deletes.deletes.empty()) EncodeDeleteColumns(deletes.deletes, list, msg.mutable_deletes());
  if (!pending_->empty()) {
    UpdateOps pending;
    pending_->Collect(&pending);
    EncodeUpdateMessage(std::move(pending), msg.mutable_pending());
  }
  std::string body;
  msg.SerializeToString(&body);
  return WrapSnapshot(body, format::kSnapshotVersion);
}

Status Text::DecodeSnapshot(std::string_view bytes, PeerId peer, std::unique_ptr<Text>* out,
                            TextLimits limits) {
  std::string body_bytes;
  Status us = UnwrapSnapshot(bytes, format::kSnapshotVersion, &body_bytes);
  if (!us.ok()) return us;
  const std::string* body = &body_bytes;
  // An arena: the parse allocates a few dozen repeated fields and frees
  // them all at the end; blocks are sized after the body.
  google::protobuf::Arena arena(SnapshotArenaOptions(body->size()));
  wire::SnapshotBody& msg = *google::protobuf::Arena::CreateMessage<wire::SnapshotBody>(&arena);
  if (body->size() > INT32_MAX ||
      !msg.ParseFromArray(body->data(), static_cast<int>(body->size()))) {
    return Status::Corrupt("snapshot body is not a valid protobuf message");
  }
  std::vector<PeerId> peers(msg.peers().begin(), msg.peers().end());
  Status s = CheckPeerTable(std::span<const PeerId>(peers));
  if (!s.ok()) return s;
  // The tree's peer table is the message's (interned in order below), so
  // the runs take the message's indices as they are.
  std::vector<PeerIndex> local(peers.size());
  for (size_t i = 0; i < local.size(); ++i) local[i] = static_cast<PeerIndex>(i);
  std::vector<Run> runs;
  std::string_view content;
  s = DecodeRunColumnsAsRuns(msg.runs(), local, &runs, &content);
  if (!s.ok())
    return s.code() == StatusCode::kCorrupt ? Status::Corrupt("snapshot runs: " + s.message()) : s;
  UpdateOps ops;
  s = DecodeDeleteColumns(msg.deletes(), peers, &ops);
  if (!s.ok())
    return s.code() == StatusCode::kCorrupt ? Status::Corrupt("snapshot deletes: " + s.message())
                                            : s;

  // Deletes name peers by id; consecutive rows are mostly of one peer.
  PeerId last_id = peers.empty() ? 0 : peers[0];
  size_t last_index = 0;
  auto peer_index = [&](PeerId id) {
    if (id != last_id) {
      last_id = id;
      last_index = static_cast<size_t>(std::lower_bound(peers.begin(), peers.end(), id) - peers.begin());
    }
    return last_index;
  };
  // Deletes come sorted by id (canonical form): checked here, relied on below.
  for (size_t i = 1; i < ops.deletes.size(); ++i) {
    const DeleteOp& a = ops.deletes[i - 1];
    const DeleteOp& b = ops.deletes[i];
    if (!(a.id < b.id) || (a.id.peer == b.id.peer && a.id.counter + a.len > b.id.counter))
      return Status::Corrupt("snapshot deletes are not sorted and disjoint");
  }

  auto text = std::make_unique<Text>(peer, limits);
  PeerTable& table = text->seq_->peers();
  for (PeerId id : peers) table.Intern(id);  // indices = positions in `peers`
  // The visible runs take the text in row order exactly (DecodeRunColumns
  // checked), and rows are in document order: the text is the content.
  if (!text->seq_->tree().Load(runs, content))
    return Status::Corrupt("snapshot runs share an id");
  // Each peer's operations must cover [0, next) exactly once: that is what
  // makes the implied version vector true. The index holds the items' ids
  // sorted per peer; the deletes are sorted: walk both.
  VersionVector version;
  {
    const IdIndex& index = text->seq_->tree().index();
    size_t d = 0;
    for (size_t p = 0; p < peers.size(); ++p) {
      uint64_t next = 0;
      bool ok = true;
      auto take_deletes = [&](uint64_t upto) {
        while (ok && d < ops.deletes.size() && peer_index(ops.deletes[d].id.peer) == p &&
               ops.deletes[d].id.counter < upto) {
          if (ops.deletes[d].id.counter != next) ok = false;
          next = ops.deletes[d].id.counter + ops.deletes[d].len;
          ++d;
        }
      };
      index.ForEach(static_cast<PeerIndex>(p), [&](uint64_t start, uint64_t end) {
        take_deletes(start);
        if (start != next) ok = false;
        next = end;
      });
      take_deletes(UINT64_MAX);
      if (!ok) return Status::Corrupt("snapshot operations of a peer are not contiguous");
      version.set(peers[p], next);
    }
  }
  text->deletes_->Reserve(ops.deletes.size());
  for (const DeleteOp& op : ops.deletes) {
    for (uint64_t done = 0; done < op.len;) {
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(op.len - done, UINT32_MAX));
      text->deletes_->Append(static_cast<PeerIndex>(peer_index(op.id.peer)), op.id.counter + done,
                             n, static_cast<PeerIndex>(peer_index(op.target.peer)),
                             op.backward ? op.target.counter - done : op.target.counter + done,
                             op.backward);
      done += n;
    }
  }
  text->version_ = version;
  if (msg.has_pending()) {
    UpdateOps pending;
    s = DecodeUpdateMessage(msg.pending(), &pending);
    if (!s.ok()) return Status::Corrupt("snapshot pending operations: " + s.message());
    if (pending.inserts.size() + pending.deletes.size() > limits.max_pending_ops) {
      return Status::LimitExceeded("snapshot holds more pending operations than max_pending_ops");
    }
    text->ApplyOps(std::move(pending), nullptr);
  }
  *out = std::move(text);
  return Status::Ok();
}

}  // namespace tandem
