// Columns: the columnar encoding of insert runs and delete runs shared by
// updates and snapshots (schema/tandem.proto, RunColumns / DeleteColumns).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "run.h"
#include "status.h"
#include "update_ops.h"

namespace tandem::wire {
class RunColumns;
class DeleteColumns;
}  // namespace tandem::wire

namespace tandem {

class DeleteLog;
class RunTree;

// The peer table of one message: ascending ids, looked up by binary search.
class PeerList {
 public:
  // Collects every peer id `ops` mentions.
  void AddAll(const UpdateOps& ops);
  void Add(PeerId id) { ids_.push_back(id); }
  // Sorts and removes duplicates; call before Index.
  void Seal();
  uint32_t Index(PeerId id) const;
  const std::vector<PeerId>& ids() const { return ids_; }

 private:
  std::vector<PeerId> ids_;
};

// Writes `inserts` (in the given order; text ranges into `text`).
void EncodeRunColumns(const std::vector<InsertOp>& inserts, const std::string& text,
                      const PeerList& peers, wire::RunColumns* out);
// The same for a List's rows: their content is implied (no text).
void EncodeListRunColumns(const std::vector<InsertOp>& inserts, const PeerList& peers,
                          wire::RunColumns* out);
void EncodeDeleteColumns(const std::vector<DeleteOp>& deletes, const PeerList& peers,
                         wire::DeleteColumns* out);

// Reads and validates columns against the message's peer table `peers`
// (already checked to be strictly ascending). Appends to `out`.
Status DecodeRunColumns(const wire::RunColumns& in, std::span<const PeerId> peers, UpdateOps* out);
// The same with `text` standing for in.text() (a List's implied placeholders,
// so the caller need not copy the columns to set them).
Status DecodeRunColumns(const wire::RunColumns& in, std::string_view text,
                        std::span<const PeerId> peers, UpdateOps* out);
// Reads a List's rows, whose `items` visible items are implied (in.text
// must be empty), with the same validation, appending to `out`: each row's
// text_begin/text_end are its first and end item among the visible ones.
// No placeholder text is made (a message of 10,000 lists reads them in one
// call).
Status DecodeListRunColumns(const wire::RunColumns& in, size_t items,
                            std::span<const PeerId> peers, std::vector<InsertOp>* out);
// Reads a snapshot's rows (document order) straight into `tree`, replacing
// what it held, with the same validation as DecodeRunColumns and no
// intermediate InsertOps or runs. The tree's peer indices must be the
// message's. Rows longer than a tree run holds become several runs
// (ForEachRowRun). On error the tree can only be destroyed.
Status LoadRunColumns(const wire::RunColumns& in, size_t peer_count, RunTree* tree);
Status DecodeDeleteColumns(const wire::DeleteColumns& in, std::span<const PeerId> peers,
                           UpdateOps* out);
// Reads a snapshot's delete rows straight into `log` (empty; its peer
// indices must be the message's), with the same validation as
// DecodeDeleteColumns, and checks that they are sorted by id and disjoint,
// as a snapshot's are. On error the log holds an unspecified prefix.
Status LoadDeleteColumns(const wire::DeleteColumns& in, size_t peer_count, DeleteLog* log);
// Checks that a message's peer table is strictly ascending.
Status CheckPeerTable(std::span<const PeerId> peers);

}  // namespace tandem
