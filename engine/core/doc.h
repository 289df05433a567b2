// Doc: a replicated document — a tree of containers rooted in a Map.
//
// Containers: Map (last writer wins per key, by Lamport time then peer id),
// List (the sequence CRDT holding values and nested containers), Text
// (the sequence CRDT holding Unicode scalar values) and Counter (integer
// adds that commute). docs/data-model.md gives the merge rules.
//
// One Doc is one replica, edited locally as one peer and merged with updates
// from any number of remote peers. All replicas that have seen the same
// operations hold the same tree, the same version vector and encode the same
// snapshot bytes, whatever order updates arrived in.
//
// Handles (MapRef, ListRef, TextRef, CounterRef, Container) are small
// values naming a container of one Doc; they stay valid as long as the Doc.
// A container is never destroyed: one that was deleted from its parent (or
// lost a concurrent write of its key) keeps its content and its handles work.
//
// Threading: a Doc and its handles are not thread-safe; use them from one
// thread at a time. Observers run on the thread that made the change.
// Errors: calls that take untrusted input or caller indices return a Status;
// an error always leaves the document exactly as it was.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "container_type.h"
#include "doc_events.h"
#include "index_unit.h"
#include "op_id.h"
#include "status.h"
#include "text.h"  // ApplyResult
#include "value.h"
#include "version_vector.h"

namespace tandem {

class Doc;
class MapRef;
class ListRef;
class TextRef;
class CounterRef;
struct DocOps;
struct ContainerKey;
struct ContainerNode;
class DocPending;

// Resource bounds for untrusted input.
struct DocLimits {
  uint64_t max_update_bytes = 64u << 20;
  uint64_t max_pending_ops = 1u << 20;  // rows waiting
  // Containers nest at most this deep (the root is depth 0). A container
  // value deeper than this is stored as null, on every replica alike.
  uint32_t max_depth = 100;
};

// Any container of a Doc.
class Container {
 public:
  Container() = default;
  Container(Doc* doc, uint32_t index) : doc_(doc), index_(index) {}
  bool valid() const { return doc_ != nullptr; }
  Doc* doc() const { return doc_; }
  uint32_t index() const { return index_; }
  ContainerType type() const;
  MapRef AsMap() const;  // the type must match (check type() first)
  ListRef AsList() const;
  TextRef AsText() const;
  CounterRef AsCounter() const;
  friend bool operator==(const Container&, const Container&) = default;

 protected:
  Doc* doc_ = nullptr;
  uint32_t index_ = 0;
};

class MapRef : public Container {
 public:
  using Container::Container;
  // The current value of `key` (nested containers as Value::Container).
  std::optional<Value> Get(std::string_view key) const;
  // The nested container under `key`, if the key holds one.
  std::optional<Container> GetContainer(std::string_view key) const;
  // Keys present, sorted.
  std::vector<std::string> Keys() const;
  uint64_t size() const;
  // Writes a scalar (not a container value: use GetOrCreate). Error if
  // `key` or a string value is not UTF-8.
  Status Set(std::string_view key, const Value& value);
  Status Delete(std::string_view key);
  // The container of `type` under `key`, made if the key does not hold one.
  // Two peers that do this concurrently get the same container: the
  // operations both make inside it merge (docs/data-model.md).
  Status GetOrCreate(std::string_view key, ContainerType type, Container* out);
};

class ListRef : public Container {
 public:
  using Container::Container;
  uint64_t size() const;
  std::optional<Value> Get(uint64_t index) const;
  std::optional<Container> GetContainer(uint64_t index) const;
  std::vector<Value> ToVector() const;
  // Inserts scalars before `index` (<= size()).
  Status Insert(uint64_t index, std::span<const Value> values);
  Status Push(const Value& value) { return Insert(size(), std::span<const Value>(&value, 1)); }
  // Inserts a new container before `index`.
  Status InsertContainer(uint64_t index, ContainerType type, Container* out);
  Status Delete(uint64_t index, uint64_t count);
};

class TextRef : public Container {
 public:
  using Container::Container;
  uint64_t length(IndexUnit unit = IndexUnit::kCodePoint) const;
  std::string ToString() const;
  Status ConvertIndex(uint64_t index, IndexUnit from, IndexUnit to, uint64_t* out) const;
  Status Insert(uint64_t index, std::string_view text, IndexUnit unit = IndexUnit::kCodePoint);
  Status Delete(uint64_t index, uint64_t count, IndexUnit unit = IndexUnit::kCodePoint);
};

class CounterRef : public Container {
 public:
  using Container::Container;
  int64_t value() const;
  // Adds `delta` (wrapping at 64 bits, the same on every replica).
  Status Add(int64_t delta);
};

// A position in a Text or List that follows its element through concurrent
// edits: anchored to an element's id, before or after it.
struct StickyPosition {
  enum Assoc : uint8_t { kAfter = 0, kBefore = 1 };
  Container container;
  // The element the position is attached to; nullopt = the sequence end
  // (kBefore) or start (kAfter).
  std::optional<OpId> item;
  // kAfter: the position just after `item` (it stays to the right of
  // text typed before it... i.e. it sticks to the left element);
  // kBefore: just before `item` (sticks to the right element).
  Assoc assoc = kBefore;
};

// What one local transaction did, operation by operation in the order they
// were made: what an undo manager needs to invert it. Only filled while a
// recorder is attached (Doc::AddTxnRecorder); otherwise edits skip it.
struct LocalTxnRecord {
  struct IdRange {
    OpId first;  // items [first.counter, first.counter + len) of first.peer
    uint64_t len = 0;
  };
  struct Op {
    enum Kind : uint8_t { kSeqInsert, kSeqDelete, kMapWrite, kCounterAdd };
    Kind kind = kSeqInsert;
    uint32_t container = 0;  // the Doc's handle index
    // kSeqInsert: the new items (one range, this peer's ids).
    // kSeqDelete: the items deleted, in document order.
    std::vector<IdRange> items;
    std::string text;                // kSeqDelete of a Text: the deleted content, UTF-8
    std::vector<Value> values;       // kSeqDelete of a List: one value per deleted item
    std::string key;                 // kMapWrite
    std::optional<Value> old_value;  // kMapWrite: the value before (nullopt = absent)
    std::optional<OpId> old_id;      // kMapWrite: the write that held the key before
    OpId id;                         // kMapWrite: this write
    int64_t delta = 0;               // kCounterAdd
  };
  std::string origin;  // as given to BeginTransaction
  std::vector<Op> ops;
};

class Doc {
 public:
  explicit Doc(PeerId peer, DocLimits limits = {});
  ~Doc();
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;

  PeerId peer() const { return peer_; }
  MapRef root() { return MapRef(this, 0); }

  // ---- Paths: "/shapes/abc/points" (RFC 6901 escapes; list segments are
  // indices). "" is the root. kNotFound when nothing is at the path;
  // kInvalidArgument for a malformed path or one that goes through a text.
  Status Resolve(std::string_view path, Container* out);
  // The path of `c` now, or nullopt if it is not reachable from the root.
  std::optional<std::string> PathOf(Container c) const;

  // ---- JSON export (maps as objects with sorted keys, lists as arrays,
  // texts as strings, counters as numbers, bytes as base64 strings,
  // non-finite doubles as null).
  std::string ToJson() const;
  Status ToJson(Container c, std::string* out) const;

  // ---- Transactions
  // Groups the following local edits into one update and one change event
  // tagged `origin`. Transactions do not nest.
  Status BeginTransaction(std::string_view origin = {});
  // Ends the transaction: delivers one ChangeEvent to observers and, if
  // `update` is not null, replaces *update with this transaction's operations
  // (empty if none).
  Status CommitTransaction(std::string* update = nullptr);
  bool in_transaction() const { return in_txn_; }

  // ---- Observing
  // `fn` gets one ChangeEvent per transaction that changed `c` (or, with
  // `deep`, anything inside it). Returns an id for Unobserve.
  uint64_t Observe(Container c, bool deep, std::function<void(const ChangeEvent&)> fn);
  void Unobserve(uint64_t id);
  // Called with the update bytes of every committed local transaction (also
  // the implicit one around a single edit) that made operations.
  void SetUpdateListener(std::function<void(std::string_view update)> fn);

  // ---- Recording local transactions (for UndoManager)
  // While at least one recorder is attached, every committed local
  // transaction that made operations is described to each recorder, at
  // CommitTransaction before the update listener and the observers run. The
  // record is valid during the call only. Attach and remove recorders outside
  // a transaction. With no recorder attached, edits pay one pointer test.
  uint64_t AddTxnRecorder(std::function<void(const LocalTxnRecord&)> fn);
  void RemoveTxnRecorder(uint64_t id);

  // ---- Sync
  const VersionVector& version() const { return version_; }
  std::string EncodeUpdate(const VersionVector& since = {}) const;
  // Applies update bytes from any peer. Idempotent; operations whose
  // dependencies are missing wait (bounded by DocLimits) and apply when they
  // arrive. A malformed update is refused whole: error, nothing changed.
  // Not allowed inside a transaction.
  Status ApplyUpdate(std::string_view bytes, std::string_view origin = "remote",
                     ApplyResult* result = nullptr);
  uint64_t pending_ops() const;

  // ---- Snapshots (canonical, like EncodeUpdate)
  std::string EncodeSnapshot() const;
  static Status DecodeSnapshot(std::string_view bytes, PeerId peer, std::unique_ptr<Doc>* out,
                               DocLimits limits = {});

  // ---- Sticky positions
  // The position before element `index` of a Text/List (code points for a
  // Text); index == length means the end.
  Status StickyAt(Container c, uint64_t index, StickyPosition::Assoc assoc,
                  StickyPosition* out) const;
  // Its index now.
  Status ResolveSticky(const StickyPosition& pos, uint64_t* index) const;
  // Bytes a peer can send (e.g. in awareness state), and back. A decoded
  // position names its container by path-independent id.
  std::string EncodeSticky(const StickyPosition& pos) const;
  Status DecodeSticky(std::string_view bytes, StickyPosition* out);

  // Bytes of heap this replica holds. O(containers + leaves).
  uint64_t MemoryUsage() const;
  uint64_t container_count() const { return nodes_.size(); }
  // Internal consistency check for tests.
  Status CheckInvariants() const;

  // ---- Internal (used by the handle classes and the undo manager).
  ContainerNode& node(uint32_t i) { return *nodes_[i]; }
  const ContainerNode& node(uint32_t i) const { return *nodes_[i]; }
  Status CheckWritable() const;
  Status BeginImplicit(bool* implicit);
  void EndImplicit(bool implicit);
  uint64_t TakeCounters(uint64_t n);  // reserves n local op ids, returns the first
  uint64_t NextLamport() { return ++lamport_; }
  void AddNoop(PeerId peer, uint64_t counter, uint64_t len);
  void Touch(uint32_t c);
  void NoteMapWrite(uint32_t c, const std::string& key) { txn_map_keys_.emplace_back(c, key); }
  // A list whose values grew a chunk: trimmed at the end of the transaction.
  void NoteGrown(uint32_t list);
  bool observing() const { return !observers_.empty(); }
  struct Accum;
  Accum& accum(uint32_t c);
  uint32_t ChildOf(uint32_t map, std::string_view key, ContainerType type);  // made if missing
  uint32_t NewItemContainer(uint32_t list, OpId item, ContainerType type);
  uint32_t depth(uint32_t c) const;
  // The open transaction's record, or null when nobody records.
  LocalTxnRecord* txn_record() { return recorders_.empty() ? nullptr : &txn_record_; }
  // Inserts into Text or List `c`, as local operations, right after item
  // `after` (deleted or not; nullopt = the sequence start), before whatever
  // follows it: where content deleted there comes back (UndoManager). A Text
  // takes `text` (valid UTF-8), a List `values` (a container value makes a
  // fresh, empty container). Returns the first new counter; the items get
  // consecutive ids from it. `after` must be an item of `c`.
  uint64_t InsertAfterItem(uint32_t c, std::optional<OpId> after, std::string_view text,
                           std::span<const Value> values);
  const DocLimits& limits() const { return limits_; }
  // The container a list element made, if any.
  std::optional<Container> ItemContainer(OpId item) {
    auto it = item_containers_.find(item);
    if (it == item_containers_.end()) return std::nullopt;
    return Container(this, it->second);
  }
  // Entry `i` of a container table as one of this document's containers:
  // kFound (*out set), kWait (*wait: the id it needs), or kBad (it names
  // nothing any replica could have: the operation is refused).
  enum class Resolution { kFound, kWait, kBad };
  Resolution ResolveKey(const std::vector<ContainerKey>& table, uint32_t i, uint32_t* out,
                        OpId* wait);
  // This replica's own operations with counters [lo, hi), encoded.
  std::string EncodeLocalRange(uint64_t lo, uint64_t hi) const;

 private:
  friend class DocApplier;
  friend class DocCollector;
  friend class DocSnapshotLoader;
  uint32_t AddNode(ContainerType type, uint32_t parent);
  Status ApplyOps(DocOps&& ops, std::string_view origin, ApplyResult* result);
  void EmitEvents(bool local, std::string_view origin);
  void ShrinkGrownLists();
  void JsonOf(uint32_t c, std::string* out) const;

  PeerId peer_;
  DocLimits limits_;
  std::vector<std::unique_ptr<ContainerNode>> nodes_;
  struct OpIdHash {
    size_t operator()(const OpId& id) const {
      return std::hash<uint64_t>()(id.peer * 0x9E3779B97F4A7C15ull ^ id.counter);
    }
  };
  std::unordered_map<OpId, uint32_t, OpIdHash> item_containers_;
  VersionVector version_;
  uint64_t lamport_ = 0;
  // Ids that carry nothing (overwritten map writes, refused operations):
  // peer -> start -> end, disjoint and merged.
  std::map<PeerId, std::map<uint64_t, uint64_t>> noops_;
  std::unique_ptr<DocPending> pending_;

  bool in_txn_ = false;
  uint64_t txn_start_counter_ = 0;
  std::string txn_origin_;
  std::vector<uint32_t> touched_;  // containers the transaction wrote, unsorted, no duplicates
  std::vector<bool> touched_mark_;
  // Map keys the transaction wrote (container, key), possibly repeated: the
  // transaction's update is collected from these, not from every key.
  std::vector<std::pair<uint32_t, std::string>> txn_map_keys_;
  std::vector<uint32_t> grown_lists_;

  struct Observer {
    uint64_t id;
    uint32_t container;
    bool deep;
    std::function<void(const ChangeEvent&)> fn;
  };
  std::vector<Observer> observers_;
  uint64_t next_observer_id_ = 1;
  std::map<uint32_t, std::unique_ptr<Accum>> accums_;  // changes of the current transaction
  std::function<void(std::string_view)> update_listener_;
  std::vector<std::pair<uint64_t, std::function<void(const LocalTxnRecord&)>>> recorders_;
  LocalTxnRecord txn_record_;
};

}  // namespace tandem
