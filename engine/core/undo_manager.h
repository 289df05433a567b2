// UndoManager: undo and redo of this replica's own transactions on a set of
// containers, with other peers' edits kept (docs/undo.md).
//
// A step is one or more local transactions (merged while they follow each
// other within the capture window). Undoing a step makes one new local
// transaction that inverts it as far as it still applies today:
//   - items it inserted that are still visible are deleted (found by id);
//   - content it deleted is inserted again where its tombstones are now;
//     a deleted List element that held a container comes back as a fresh
//     container holding a copy of the old one's current content;
//   - a map key it wrote gets its previous value back, unless a later write
//     (another peer's, or an untracked one) holds the key now;
//   - counter adds are undone by adding the negation.
// That transaction is what Redo inverts, and the transaction Redo makes is
// the next undo step, so undo/redo/undo... keep working. Content inserted
// again gets new ids; the manager maps the old ids (and containers) to the
// new ones so that older steps still find what they refer to.
//
// The undo and redo transactions are ordinary local transactions: they go
// to the update listener and to observers (origin UndoOptions::undo_origin /
// redo_origin) like any edit.
//
// engine/core has no clock: the caller passes one in UndoOptions::now_ms.
//
// Threading: like the Doc. The Doc must outlive the manager.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "doc.h"
#include "status.h"

namespace tandem {

struct UndoOptions {
  // Transactions that end less than this many ms after the previous tracked
  // one are merged into its step. Needs now_ms; 0 = never merge.
  uint64_t capture_window_ms = 500;
  // Milliseconds from any fixed origin, non-decreasing. Unset: every
  // transaction is a step of its own (StopCapturing is then implied).
  std::function<uint64_t()> now_ms;
  // The oldest steps are forgotten beyond this many (0 = no bound).
  size_t max_steps = 0;
  // If set, only local transactions whose origin is in this set are
  // recorded; if unset, every local one is.
  std::optional<std::set<std::string>> tracked_origins;
  // Origins of the transactions Undo and Redo make. Local transactions with
  // either origin are never recorded as new steps (so that several managers
  // sharing these origins do not record each other's undos).
  std::string undo_origin = "undo";
  std::string redo_origin = "redo";
};

class UndoManager {
 public:
  // Records local transactions of `doc` that change `scope` containers or
  // anything nested in them. `doc` must not be inside a transaction.
  UndoManager(Doc* doc, std::vector<Container> scope, UndoOptions options = {});
  ~UndoManager();
  UndoManager(const UndoManager&) = delete;
  UndoManager& operator=(const UndoManager&) = delete;

  // Undoes the latest step that still changes something (steps whose effect
  // is already gone, e.g. all their text deleted by others, are dropped on
  // the way) as one local transaction. *changed (if given) tells whether
  // anything was undone. Error only inside an open transaction, with nothing
  // changed.
  Status Undo(bool* changed = nullptr);
  // The same for the latest undone step. A new tracked local edit empties
  // the redo stack.
  Status Redo(bool* changed = nullptr);
  bool CanUndo() const { return !undo_.empty(); }
  bool CanRedo() const { return !redo_.empty(); }
  size_t undo_size() const { return undo_.size(); }
  size_t redo_size() const { return redo_.size(); }
  // The next tracked transaction starts a new step, whatever the window.
  void StopCapturing() { stop_capturing_ = true; }
  // Forgets both stacks and the id mapping.
  void Clear();

 private:
  using Op = LocalTxnRecord::Op;
  using IdRange = LocalTxnRecord::IdRange;
  struct Step {
    std::vector<Op> ops;  // in the order made
    // Where the step's write of a map key, and its add to a counter, are in
    // `ops`: later ones fold into them.
    std::map<std::pair<uint32_t, std::string>, size_t> map_ops;
    std::map<uint32_t, size_t> counter_ops;
  };

  // Old ids -> the ids of content made again in their place, as ranges.
  class Redirects {
   public:
    void Add(OpId from, uint64_t len, OpId to);
    // [first, first + len) as the ids that stand for them now.
    void Resolve(OpId first, uint64_t len, std::vector<IdRange>* out) const;
    OpId ResolveOne(OpId id) const;
    void Clear() { map_.clear(); }

   private:
    struct Target {
      uint64_t len;
      OpId to;
    };
    std::map<OpId, Target> map_;
  };

  void OnTransaction(const LocalTxnRecord& rec);
  // Appends `op` to `step`, folding it into an earlier op where that keeps
  // the step's inverse the same.
  static void Append(Step* step, const Op& op);
  bool InScope(uint32_t c) const;
  Status Pop(std::deque<Step>* from, std::deque<Step>* to, const std::string& origin,
             bool* changed);
  void Invert(const Step& step);
  void UndoInsert(const Op& op);
  void UndoDelete(const Op& op);
  void UndoMapWrite(const Op& op);
  void UndoCounterAdd(const Op& op);
  // Inserts deleted items [old_first, +n) of a List again after `after`:
  // scalars as they were, containers as fresh copies of the old ones.
  void ReinsertValues(uint32_t list, std::optional<OpId> after, OpId old_first, const Value* values,
                      uint64_t n);
  // Fills fresh container `dst` with a copy of `src`'s current content.
  void CopyContent(uint32_t src, uint32_t dst);
  uint32_t ResolveContainer(uint32_t c) const;
  uint64_t next_counter() const { return doc_->version().get(doc_->peer()); }

  Doc* doc_;
  std::vector<uint32_t> scope_;
  UndoOptions options_;
  uint64_t recorder_id_ = 0;
  std::deque<Step> undo_;
  std::deque<Step> redo_;
  bool stop_capturing_ = false;
  uint64_t last_change_ms_ = 0;

  Redirects redirects_;
  std::unordered_map<uint32_t, uint32_t> container_redirects_;

  // While Undo/Redo runs: its own transaction's record, and the containers
  // it made to restore deleted ones (their filling is not part of the step).
  bool applying_ = false;
  std::optional<LocalTxnRecord> captured_;
  std::unordered_set<uint32_t> fresh_;
};

}  // namespace tandem
