// Text::EncodeSnapshot / Text::DecodeSnapshot: the whole replica <->
// wire::Snapshot. Decoding validates the message and builds the run tree in
// one pass (RunTree::Load); it does not replay operations.
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
  SnapshotBody unwrapped;
  Status us = UnwrapSnapshot(bytes, format::kSnapshotVersion, &unwrapped);
  if (!us.ok()) return us;
  const std::string_view body = unwrapped.bytes();
  // An arena: the parse allocates a few dozen repeated fields and frees
  // them all at the end; blocks are sized after the body.
  google::protobuf::Arena arena(SnapshotArenaOptions(body.size()));
  wire::SnapshotBody& msg = *google::protobuf::Arena::CreateMessage<wire::SnapshotBody>(&arena);
  if (!ParseSnapshotBody(unwrapped, &msg))
    return Status::Corrupt("snapshot body is not a valid protobuf message");
  const std::span<const PeerId> peers(msg.peers().data(), static_cast<size_t>(msg.peers_size()));
  Status s = CheckPeerTable(peers);
  if (!s.ok()) return s;
  auto text = std::make_unique<Text>(peer, limits);
  PeerTable& table = text->seq_->peers();
  for (PeerId id : peers) table.Intern(id);  // indices = positions in `peers`
  // The tree's and the log's peer indices are the message's, so rows go in
  // as they are read. Rows are in document order and their visible runs
  // take the text in row order exactly: the text is the content.
  s = LoadRunColumns(msg.runs(), peers.size(), &text->seq_->tree());
  if (!s.ok())
    return s.code() == StatusCode::kCorrupt ? Status::Corrupt("snapshot runs: " + s.message()) : s;
  s = LoadDeleteColumns(msg.deletes(), peers.size(), text->deletes_.get());
  if (!s.ok())
    return s.code() == StatusCode::kCorrupt ? Status::Corrupt("snapshot deletes: " + s.message())
                                            : s;
  // Each peer's operations must cover [0, next) exactly once: that is what
  // makes the implied version vector true. The index holds the items' ids
  // sorted per peer; the log is sorted (LoadDeleteColumns checked): walk both.
  VersionVector version;
  {
    const IdIndex& index = text->seq_->tree().index();
    const std::vector<DeleteRun>& deletes = text->deletes_->runs();
    size_t d = 0;
    for (size_t p = 0; p < peers.size(); ++p) {
      uint64_t next = 0;
      bool ok = true;
      auto take_deletes = [&](uint64_t upto) {
        for (; d < deletes.size() && deletes[d].peer == p && deletes[d].counter < upto; ++d) {
          ok &= deletes[d].counter == next;
          next = deletes[d].end();
        }
      };
      index.ForEach(static_cast<PeerIndex>(p), [&](uint64_t start, uint64_t end) {
        take_deletes(start);
        ok &= start == next;
        next = end;
      });
      take_deletes(UINT64_MAX);
      if (!ok) return Status::Corrupt("snapshot operations of a peer are not contiguous");
      version.set(peers[p], next);
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
