#include "update_codec.h"

#include <algorithm>
#include <tuple>

#include <google/protobuf/arena.h>

#include "tandem.pb.h"

#include "stack_arena.h"

#include "columns.h"
#include "format.h"

namespace tandem {

namespace {

bool ContinuesInsert(const InsertOp& a, const InsertOp& b) {
  return a.id.peer == b.id.peer && b.id.counter == a.id.counter + a.len && a.deleted == b.deleted &&
         b.left && *b.left == OpId{a.id.peer, b.id.counter - 1} && a.right == b.right;
}

// Merges sorted, trimmed delete runs greedily, op by op: the first two ops
// of a group fix its direction. Equal op sets give equal groups.
std::vector<DeleteOp> MergeDeletes(const std::vector<DeleteOp>& in) {
  std::vector<DeleteOp> out;
  for (DeleteOp b : in) {
    if (b.len == 1) b.backward = false;
    while (b.len > 0) {
      if (!out.empty()) {
        DeleteOp& g = out.back();
        if (g.id.peer == b.id.peer && g.id.counter + g.len == b.id.counter &&
            g.target.peer == b.target.peer) {
          const uint64_t last =
              g.backward ? g.target.counter - (g.len - 1) : g.target.counter + (g.len - 1);
          bool fwd = (g.len == 1 || !g.backward) && b.target.counter == last + 1;
          bool bwd = (g.len == 1 || g.backward) && last > 0 && b.target.counter == last - 1;
          if (fwd || bwd) {
            g.backward = bwd;
            // All of b joins when its own direction agrees; else just its first op.
            uint64_t take = (b.len == 1 || b.backward == bwd) ? b.len : 1;
            g.len += take;
            b.id.counter += take;
            b.target.counter = b.backward ? b.target.counter - take : b.target.counter + take;
            b.len -= take;
            if (b.len == 1) b.backward = false;
            continue;
          }
        }
      }
      out.push_back(b);
      b.len = 0;
    }
  }
  return out;
}

}  // namespace

void Canonicalize(UpdateOps* ops) {
  const bool lone_text = ops->inserts.empty() || (ops->inserts[0].text_begin == 0 &&
                                                  ops->inserts[0].text_end == ops->text.size());
  if (ops->inserts.size() + ops->deletes.size() <= 1 && lone_text) {
    if (ops->deletes.size() == 1 && ops->deletes[0].len == 1) ops->deletes[0].backward = false;
    return;  // one run: canonical already (a single keystroke, typically)
  }
  // A total order: rows that share a first id (overlapping pending rows,
  // say) must not keep an arbitrary order.
  const std::string& src = ops->text;
  std::sort(ops->inserts.begin(), ops->inserts.end(), [&src](const InsertOp& a, const InsertOp& b) {
    auto key = [&src](const InsertOp& o) {
      return std::tuple(o.id, o.len, o.deleted, o.left, o.right,
                        std::string_view(src).substr(o.text_begin, o.text_end - o.text_begin));
    };
    return key(a) < key(b);
  });
  std::sort(ops->deletes.begin(), ops->deletes.end(), [](const DeleteOp& a, const DeleteOp& b) {
    return std::tuple(a.id, a.len, a.target, a.backward) <
           std::tuple(b.id, b.len, b.target, b.backward);
  });
  // Rebuild the text in the new order, merging runs that continue each other.
  std::vector<InsertOp> merged;
  merged.reserve(ops->inserts.size());
  std::string text;
  for (const InsertOp& op : ops->inserts) {
    const uint64_t begin = text.size();
    if (!op.deleted) text.append(ops->text, op.text_begin, op.text_end - op.text_begin);
    if (!merged.empty() && ContinuesInsert(merged.back(), op)) {
      merged.back().len += op.len;
      merged.back().text_end = text.size();
      continue;
    }
    InsertOp copy = op;
    copy.text_begin = begin;
    copy.text_end = text.size();
    merged.push_back(copy);
  }
  ops->inserts = std::move(merged);
  ops->text = std::move(text);
  ops->deletes = MergeDeletes(ops->deletes);
}

void EncodeUpdateMessage(UpdateOps ops, wire::Update* msg) {
  Canonicalize(&ops);
  PeerList peers;
  peers.AddAll(ops);
  peers.Seal();
  msg->set_format_version(format::kUpdateVersion);
  for (PeerId id : peers.ids()) msg->add_peers(id);
  if (!ops.inserts.empty()) EncodeRunColumns(ops.inserts, ops.text, peers, msg->mutable_inserts());
  if (!ops.deletes.empty()) EncodeDeleteColumns(ops.deletes, peers, msg->mutable_deletes());
}


std::string EncodeUpdateOps(UpdateOps ops) {
  StackArena a;
  auto* msg = google::protobuf::Arena::CreateMessage<wire::Update>(&a.arena);
  EncodeUpdateMessage(std::move(ops), msg);
  std::string out;
  msg->SerializeToString(&out);
  return out;
}

Status DecodeUpdateMessage(const wire::Update& msg, UpdateOps* out) {
  if (msg.format_version() != format::kUpdateVersion) {
    return Status::Unsupported("update format version " + std::to_string(msg.format_version()));
  }
  std::span<const PeerId> peers(msg.peers().data(), msg.peers().size());
  Status s = CheckPeerTable(peers);
  if (!s.ok()) return s;
  s = DecodeRunColumns(msg.inserts(), peers, out);
  if (!s.ok()) return s;
  return DecodeDeleteColumns(msg.deletes(), peers, out);
}

Status DecodeUpdateOps(std::string_view bytes, UpdateOps* out) {
  StackArena a;
  auto* msg = google::protobuf::Arena::CreateMessage<wire::Update>(&a.arena);
  if (bytes.size() > INT32_MAX ||
      !msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corrupt("update is not a valid protobuf message");
  }
  return DecodeUpdateMessage(*msg, out);
}

}  // namespace tandem
