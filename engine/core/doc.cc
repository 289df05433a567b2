// Doc: containers, transactions, local edits through the handles, events,
// paths. Remote operations: doc_apply.cc; encoding: doc_collect.cc;
// snapshots: doc_snapshot.cc; JSON: doc_json.cc.
#include "doc.h"

#include <algorithm>
#include <charconv>

#include "doc_pending.h"
#include "doc_state.h"
#include "utf8.h"

namespace tandem {

Doc::Doc(PeerId peer, DocLimits limits)
    : peer_(peer), limits_(limits), pending_(std::make_unique<DocPending>()) {
  AddNode(ContainerType::kMap, 0);  // the root
}

Doc::~Doc() = default;

uint32_t Doc::AddNode(ContainerType type, uint32_t parent) {
  auto n = std::make_unique<ContainerNode>();
  n->type = type;
  n->parent = parent;
  switch (type) {
    case ContainerType::kMap: n->map = std::make_unique<MapState>(); break;
    case ContainerType::kList:
    case ContainerType::kText: n->seq = std::make_unique<SeqState>(); break;
    case ContainerType::kCounter: n->counter = std::make_unique<CounterState>(); break;
  }
  nodes_.push_back(std::move(n));
  touched_mark_.push_back(false);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint32_t Doc::depth(uint32_t c) const { return nodes_[c]->depth; }

uint32_t Doc::ChildOf(uint32_t map, std::string_view key, ContainerType type) {
  MapState& m = *nodes_[map]->map;
  auto it = m.slots.lower_bound(key);
  if (it == m.slots.end() || it->first != key) it = m.slots.emplace_hint(it, std::string(key), MapSlot{});
  // Map nodes stay put while AddNode grows nodes_: `slot` stays valid.
  uint32_t& slot = it->second.child[static_cast<size_t>(type) - 1];
  if (slot == 0) {
    const uint32_t c = AddNode(type, map);
    ContainerNode& n = *nodes_[c];
    n.kind = ContainerKey::kMapChild;
    n.key = std::string(key);
    n.depth = nodes_[map]->depth + 1;
    slot = c + 1;
    return c;
  }
  return slot - 1;
}

uint32_t Doc::NewItemContainer(uint32_t list, OpId item, ContainerType type) {
  const uint32_t c = AddNode(type, list);
  ContainerNode& n = *nodes_[c];
  n.kind = ContainerKey::kItem;
  n.item = item;
  n.depth = nodes_[list]->depth + 1;
  item_containers_.emplace(item, c);
  return c;
}

// ---- Transactions

Status Doc::BeginTransaction(std::string_view origin) {
  if (in_txn_) return Status::InvalidArgument("a transaction is already open");
  in_txn_ = true;
  txn_start_counter_ = version_.get(peer_);
  txn_origin_ = std::string(origin);
  txn_record_.ops.clear();
  return Status::Ok();
}

Status Doc::CommitTransaction(std::string* update) {
  if (!in_txn_) return Status::InvalidArgument("no transaction is open");
  in_txn_ = false;
  const uint64_t end = version_.get(peer_);
  std::string bytes;
  if (end > txn_start_counter_ && (update || update_listener_)) {
    bytes = EncodeLocalRange(txn_start_counter_, end);
  }
  for (uint32_t c : touched_) touched_mark_[c] = false;
  touched_.clear();
  txn_map_keys_.clear();
  ShrinkGrownLists();
  if (update) *update = bytes;
  if (!recorders_.empty() && !txn_record_.ops.empty()) {
    // Moved out first: a recorder may start the next transaction.
    LocalTxnRecord rec = std::move(txn_record_);
    txn_record_ = LocalTxnRecord();
    rec.origin = txn_origin_;
    auto recorders = recorders_;
    for (const auto& r : recorders) r.second(rec);
  }
  if (!bytes.empty() && update_listener_) update_listener_(bytes);
  EmitEvents(/*local=*/true, txn_origin_);
  return Status::Ok();
}

Status Doc::CheckWritable() const { return Status::Ok(); }

Status Doc::BeginImplicit(bool* implicit) {
  *implicit = !in_txn_;
  if (*implicit) return BeginTransaction();
  return Status::Ok();
}

void Doc::EndImplicit(bool implicit) {
  if (implicit) CommitTransaction(nullptr);
}

uint64_t Doc::TakeCounters(uint64_t n) {
  const uint64_t c = version_.get(peer_);
  version_.set(peer_, c + n);
  return c;
}

void Doc::Touch(uint32_t c) {
  if (!touched_mark_[c]) {
    touched_mark_[c] = true;
    touched_.push_back(c);
  }
}

void Doc::NoteGrown(uint32_t list) {
  if (grown_lists_.empty() || grown_lists_.back() != list) grown_lists_.push_back(list);
}

void Doc::ShrinkGrownLists() {
  for (uint32_t c : grown_lists_) nodes_[c]->seq->values.ShrinkGrown();
  grown_lists_.clear();
}

void Doc::AddNoop(PeerId peer, uint64_t counter, uint64_t len) {
  if (len == 0) return;
  auto& ranges = noops_[peer];
  uint64_t lo = counter, hi = counter + len;
  auto it = ranges.upper_bound(lo);
  if (it != ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= lo) {
      lo = prev->first;
      hi = std::max(hi, prev->second);
      it = ranges.erase(prev);
    }
  }
  while (it != ranges.end() && it->first <= hi) {
    hi = std::max(hi, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(lo, hi);
}

// ---- Events

Doc::Accum& Doc::accum(uint32_t c) {
  auto& a = accums_[c];
  if (!a) a = std::make_unique<Accum>();
  return *a;
}

uint64_t Doc::Observe(Container c, bool deep, std::function<void(const ChangeEvent&)> fn) {
  const uint64_t id = next_observer_id_++;
  observers_.push_back(Observer{id, c.index(), deep, std::move(fn)});
  return id;
}

void Doc::Unobserve(uint64_t id) {
  std::erase_if(observers_, [id](const Observer& o) { return o.id == id; });
  if (observers_.empty()) accums_.clear();
}

void Doc::SetUpdateListener(std::function<void(std::string_view)> fn) {
  update_listener_ = std::move(fn);
}

uint64_t Doc::AddTxnRecorder(std::function<void(const LocalTxnRecord&)> fn) {
  const uint64_t id = next_observer_id_++;
  recorders_.emplace_back(id, std::move(fn));
  return id;
}

void Doc::RemoveTxnRecorder(uint64_t id) {
  std::erase_if(recorders_, [id](const auto& r) { return r.first == id; });
}

void Doc::EmitEvents(bool local, std::string_view origin) {
  if (accums_.empty()) return;
  auto accums = std::move(accums_);
  accums_.clear();
  if (observers_.empty()) return;
  std::vector<ContainerChange> changes;
  for (auto& [c, a] : accums) {
    const ContainerNode& n = *nodes_[c];
    ContainerChange ch;
    ch.container = c;
    ch.type = n.type;
    switch (n.type) {
      case ContainerType::kText:
        if (a->delta.empty()) continue;
        ch.text = std::move(a->delta);
        break;
      case ContainerType::kList: {
        if (a->delta.empty()) continue;
        ListRef list(this, c);
        uint64_t pos = 0;  // in the list as it is now
        for (const DeltaStep& s : a->delta.steps()) {
          ListStep step{static_cast<ListStep::Kind>(s.kind), s.count, {}};
          if (s.kind == DeltaStep::kInsert) {
            for (uint64_t i = 0; i < s.count; ++i) step.values.push_back(*list.Get(pos + i));
          }
          if (s.kind != DeltaStep::kDelete) pos += s.count;
          ch.list.push_back(std::move(step));
        }
        break;
      }
      case ContainerType::kMap: {
        MapRef map(this, c);
        for (auto& [key, old] : a->old_values) {
          std::optional<Value> now = map.Get(key);
          if (now == old) continue;
          ch.keys.push_back(MapKeyChange{key, std::move(old), std::move(now)});
        }
        if (ch.keys.empty()) continue;
        break;
      }
      case ContainerType::kCounter:
        if (a->counter_delta == 0) continue;
        ch.counter_delta = a->counter_delta;
        break;
    }
    ch.path = PathOf(Container(this, c)).value_or("");
    changes.push_back(std::move(ch));
  }
  if (changes.empty()) return;
  auto within = [this](uint32_t c, uint32_t ancestor) {
    for (uint32_t d = 0; d <= limits_.max_depth + 1; ++d) {
      if (c == ancestor) return true;
      if (c == 0) return false;
      c = nodes_[c]->parent;
    }
    return false;
  };
  // Observers may edit the document or unobserve from their callback:
  // iterate over a copy.
  std::vector<Observer> observers = observers_;
  for (const Observer& o : observers) {
    ChangeEvent ev;
    ev.local = local;
    ev.origin = std::string(origin);
    for (const ContainerChange& ch : changes) {
      if (ch.container == o.container || (o.deep && within(ch.container, o.container)))
        ev.changes.push_back(ch);
    }
    if (!ev.changes.empty()) o.fn(ev);
  }
}

// ---- Paths

namespace {

void AppendEscaped(std::string_view seg, std::string* out) {
  out->push_back('/');
  for (char ch : seg) {
    if (ch == '~') {
      *out += "~0";
    } else if (ch == '/') {
      *out += "~1";
    } else {
      out->push_back(ch);
    }
  }
}

bool Unescape(std::string_view seg, std::string* out) {
  out->clear();
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] != '~') {
      out->push_back(seg[i]);
      continue;
    }
    if (i + 1 >= seg.size() || (seg[i + 1] != '0' && seg[i + 1] != '1')) return false;
    out->push_back(seg[i + 1] == '0' ? '~' : '/');
    ++i;
  }
  return true;
}

}  // namespace

std::optional<std::string> Doc::PathOf(Container c) const {
  std::vector<std::string> segs;
  uint32_t i = c.index();
  while (i != 0) {
    const ContainerNode& n = *nodes_[i];
    if (n.kind == ContainerKey::kMapChild) {
      const MapState& m = *nodes_[n.parent]->map;
      auto it = m.slots.find(n.key);
      if (it == m.slots.end() || !it->second.present || !it->second.value.is_container() ||
          it->second.value.container_type() != n.type) {
        return std::nullopt;
      }
      segs.push_back(n.key);
    } else {
      const SeqState& s = *nodes_[n.parent]->seq;
      RunTree::Loc loc = s.seq.Find(n.item);
      if (!loc.leaf || loc.run().deleted()) return std::nullopt;
      segs.push_back(std::to_string(s.seq.CharsBefore(loc)));
    }
    i = n.parent;
  }
  std::string out;
  for (size_t k = segs.size(); k-- > 0;) AppendEscaped(segs[k], &out);
  return out;
}

Status Doc::Resolve(std::string_view path, Container* out) {
  if (!path.empty() && path[0] != '/')
    return Status::InvalidArgument("a path starts with '/' (or is empty for the root)");
  uint32_t c = 0;
  std::string seg;
  size_t pos = path.empty() ? path.size() : 1;
  while (pos <= path.size() && !path.empty()) {
    const size_t end = std::min(path.find('/', pos), path.size());
    if (!Unescape(path.substr(pos, end - pos), &seg))
      return Status::InvalidArgument("bad escape in path segment");
    const ContainerNode& n = *nodes_[c];
    std::optional<Container> next;
    if (n.type == ContainerType::kMap) {
      next = MapRef(this, c).GetContainer(seg);
    } else if (n.type == ContainerType::kList) {
      uint64_t idx = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
      if (ec != std::errc() || p != seg.data() + seg.size() || seg.empty())
        return Status::InvalidArgument("list path segment '" + seg + "' is not an index");
      next = ListRef(this, c).GetContainer(idx);
    } else {
      return Status::InvalidArgument("path goes through a " +
                                     std::string(ContainerTypeName(n.type)));
    }
    if (!next)
      return Status::NotFound("no container at '" + std::string(path.substr(0, end)) + "'");
    c = next->index();
    pos = end + 1;
  }
  *out = Container(this, c);
  return Status::Ok();
}

// ---- Handles

ContainerType Container::type() const { return doc_->node(index_).type; }
MapRef Container::AsMap() const { return MapRef(doc_, index_); }
ListRef Container::AsList() const { return ListRef(doc_, index_); }
TextRef Container::AsText() const { return TextRef(doc_, index_); }
CounterRef Container::AsCounter() const { return CounterRef(doc_, index_); }

// Map

std::optional<Value> MapRef::Get(std::string_view key) const {
  const MapState& m = *doc_->node(index_).map;
  auto it = m.slots.find(key);
  if (it == m.slots.end() || !it->second.present) return std::nullopt;
  return it->second.value;
}

std::optional<Container> MapRef::GetContainer(std::string_view key) const {
  const MapState& m = *doc_->node(index_).map;
  auto it = m.slots.find(key);
  if (it == m.slots.end() || !it->second.present || !it->second.value.is_container())
    return std::nullopt;
  const ContainerType t = it->second.value.container_type();
  return Container(doc_, doc_->ChildOf(index_, key, t));
}

std::vector<std::string> MapRef::Keys() const {
  std::vector<std::string> out;
  for (const auto& [k, s] : doc_->node(index_).map->slots)
    if (s.present) out.push_back(k);
  return out;
}

uint64_t MapRef::size() const { return doc_->node(index_).map->present; }

namespace {

Status CheckScalar(const Value& v) {
  if (v.is_container())
    return Status::InvalidArgument("a container value is made with GetOrCreate/InsertContainer");
  if (v.kind() == Value::Kind::kString && !utf8::Validate(v.as_string(), nullptr))
    return Status::InvalidArgument("string value is not valid UTF-8");
  return Status::Ok();
}

// Writes `key` of map `c` locally: value, or delete when `value` is null.
void LocalMapWrite(Doc* doc, uint32_t c, std::string_view key, const Value* value) {
  bool implicit;
  doc->BeginImplicit(&implicit);
  MapState& m = *doc->node(c).map;
  auto it = m.slots.find(key);
  if (it == m.slots.end()) it = m.slots.emplace(std::string(key), MapSlot{}).first;
  MapSlot& s = it->second;
  if (doc->observing()) {
    Doc::Accum& a = doc->accum(c);
    if (!a.old_values.count(key))
      a.old_values.emplace(std::string(key), s.present ? std::optional<Value>(s.value) : std::nullopt);
  }
  LocalTxnRecord::Op* rec = nullptr;
  if (LocalTxnRecord* r = doc->txn_record()) {
    rec = &r->ops.emplace_back();
    rec->kind = LocalTxnRecord::Op::kMapWrite;
    rec->container = c;
    rec->key = std::string(key);
    if (s.present) rec->old_value = s.value;
    if (s.written) rec->old_id = s.id;
  }
  if (s.written) doc->AddNoop(s.id.peer, s.id.counter, 1);
  const uint64_t counter = doc->TakeCounters(1);
  s.id = OpId{doc->peer(), counter};
  if (rec) rec->id = s.id;
  s.lamport = doc->NextLamport();
  s.written = true;
  if (s.present) --m.present;
  s.present = value != nullptr;
  if (value) {
    s.value = *value;
    ++m.present;
  } else {
    s.value = Value::Null();
  }
  doc->Touch(c);
  doc->NoteMapWrite(c, it->first);
  doc->EndImplicit(implicit);
}

}  // namespace

Status MapRef::Set(std::string_view key, const Value& value) {
  if (!utf8::Validate(key, nullptr)) return Status::InvalidArgument("map key is not valid UTF-8");
  Status s = CheckScalar(value);
  if (!s.ok()) return s;
  LocalMapWrite(doc_, index_, key, &value);
  return Status::Ok();
}

Status MapRef::Delete(std::string_view key) {
  if (!Get(key)) return Status::Ok();  // nothing to delete: no operation
  LocalMapWrite(doc_, index_, key, nullptr);
  return Status::Ok();
}

Status MapRef::GetOrCreate(std::string_view key, ContainerType type, Container* out) {
  if (!utf8::Validate(key, nullptr)) return Status::InvalidArgument("map key is not valid UTF-8");
  std::optional<Value> cur = Get(key);
  if (!cur || !cur->is_container() || cur->container_type() != type) {
    if (doc_->node(index_).depth + 1 > doc_->limits().max_depth)
      return Status::LimitExceeded("containers nest deeper than max_depth");
    const Value v = Value::Container(type);
    LocalMapWrite(doc_, index_, key, &v);
  }
  *out = Container(doc_, doc_->ChildOf(index_, key, type));
  return Status::Ok();
}

// List and Text (sequences)

namespace {

SeqState& Seq(Doc* doc, uint32_t c) { return *doc->node(c).seq; }

void RecordInsert(Doc* doc, uint32_t c, uint64_t counter, uint64_t n) {
  if (LocalTxnRecord* r = doc->txn_record()) {
    LocalTxnRecord::Op& op = r->ops.emplace_back();
    op.kind = LocalTxnRecord::Op::kSeqInsert;
    op.container = c;
    op.items.push_back({OpId{doc->peer(), counter}, n});
  }
}

// Inserts `n` items with content `text` at code point `at` as local ops;
// returns the first counter.
uint64_t LocalSeqInsert(Doc* doc, uint32_t c, uint64_t at, std::string_view text,
                        const utf8::Counts& counts) {
  SeqState& s = Seq(doc, c);
  const PeerIndex self = s.seq.peers().Intern(doc->peer());
  const uint64_t counter = doc->TakeCounters(counts.code_points);
  s.seq.InsertLocal(at, self, counter, text, counts);
  if (doc->observing()) doc->accum(c).delta.Insert(at, text, counts.code_points);
  RecordInsert(doc, c, counter, counts.code_points);
  doc->Touch(c);
  return counter;
}

// The content of visible code points [from, from + n) of a Text.
std::string TextSlice(const Sequence& seq, uint64_t from, uint64_t n) {
  std::string out;
  RunTree::Loc loc = seq.tree().FindChar(from);
  while (n > 0 && loc.leaf) {
    const Run& r = loc.run();
    if (!r.deleted()) {
      const std::string_view content = loc.leaf->Content(loc.idx);
      const uint64_t take = std::min<uint64_t>(n, r.len - loc.off);
      const size_t b = utf8::ByteOffsetOfCodePoint(content, loc.off);
      const size_t e = utf8::ByteOffsetOfCodePoint(content, loc.off + take);
      out.append(content.substr(b, e - b));
      n -= take;
    }
    loc = seq.tree().NextRun(loc);
  }
  return out;
}

void LocalSeqDelete(Doc* doc, uint32_t c, uint64_t from, uint64_t n) {
  SeqState& s = Seq(doc, c);
  const PeerIndex self = s.seq.peers().Intern(doc->peer());
  const bool list = doc->node(c).type == ContainerType::kList;
  LocalTxnRecord::Op* rec = nullptr;
  if (LocalTxnRecord* r = doc->txn_record()) {
    rec = &r->ops.emplace_back();
    rec->kind = LocalTxnRecord::Op::kSeqDelete;
    rec->container = c;
    // Taken now: deleting drops a Text's content.
    if (!list) rec->text = TextSlice(s.seq, from, n);
  }
  for (const Sequence::IdRange& d : s.seq.DeleteLocal(from, n)) {
    if (rec) {
      const PeerId p = s.seq.peers().id(d.peer);
      rec->items.push_back({OpId{p, d.counter}, d.len});
      // Before Drop, which forgets the values of deleted items.
      for (uint64_t k = 0; list && k < d.len; ++k) {
        const Value* v = s.values.Find(d.peer, d.counter + k);
        rec->values.push_back(v ? *v : Value::Null());
      }
    }
    const uint64_t counter = doc->TakeCounters(d.len);
    s.deletes.Append(self, counter, d.len, d.peer, d.counter, false);
    if (list) s.values.Drop(d.peer, d.counter, d.len);
  }
  if (doc->observing()) doc->accum(c).delta.Delete(from, n);
  doc->Touch(c);
}

}  // namespace

uint64_t Doc::InsertAfterItem(uint32_t c, std::optional<OpId> after, std::string_view text,
                              std::span<const Value> values) {
  bool implicit;
  BeginImplicit(&implicit);
  SeqState& s = *nodes_[c]->seq;
  const bool list = nodes_[c]->type == ContainerType::kList;
  std::string placeholders;
  if (list) {
    placeholders.assign(values.size(), kListItemPlaceholder);
    text = placeholders;
  }
  const uint64_t n = list ? values.size() : utf8::Count(text).code_points;
  const uint64_t first = TakeCounters(n);
  const PeerIndex self = s.seq.peers().Intern(peer_);
  InsertOp op;
  op.left = after;
  std::string_view rest = text;
  for (uint64_t done = 0; done < n;) {
    const uint64_t len = std::min<uint64_t>(kMaxVisibleRunLen, n - done);
    const std::string_view piece =
        rest.substr(0, list ? len : utf8::ByteOffsetOfCodePoint(rest, len));
    rest.remove_prefix(piece.size());
    // The right origin is the item that follows the left one now, tombstones
    // included, as for an insert at an index: so the new items go exactly
    // there, and every replica puts them there too.
    RunTree::Loc next{s.seq.tree().first_leaf(), 0, 0};
    if (op.left) {
      const RunTree::Loc l = s.seq.Find(*op.left);
      next = l;
      if (++next.off == l.run().len) next = RunTree::Loc{l.leaf, l.idx + 1, 0};
    }
    next = s.seq.tree().Normalize(next);
    op.right.reset();
    if (next.leaf) op.right = s.seq.IdAt(next);
    op.id = OpId{peer_, first + done};
    op.len = len;
    const uint32_t utf16 = static_cast<uint32_t>(list ? len : utf8::Count(piece).utf16);
    const uint64_t at = s.seq.Integrate(op, piece, utf16, observing());
    if (observing()) accum(c).delta.Insert(at, piece, len);
    op.left = OpId{peer_, first + done + len - 1};
    done += len;
  }
  if (list) {
    std::vector<Value> vals;
    vals.reserve(n);
    for (uint64_t k = 0; k < n; ++k) {
      Value v = values[k];
      if (v.is_container()) {
        if (nodes_[c]->depth + 1 > limits_.max_depth) {
          v = Value::Null();
        } else {
          NewItemContainer(c, OpId{peer_, first + k}, v.container_type());
        }
      }
      vals.push_back(std::move(v));
    }
    if (s.values.Put(self, first, std::move(vals))) NoteGrown(c);
  }
  if (n > 0) {
    RecordInsert(this, c, first, n);
    Touch(c);
  }
  EndImplicit(implicit);
  return first;
}

uint64_t ListRef::size() const { return Seq(doc_, index_).seq.size().chars; }

std::optional<Value> ListRef::Get(uint64_t index) const {
  const SeqState& s = Seq(doc_, index_);
  if (index >= s.seq.size().chars) return std::nullopt;
  RunTree::Loc loc = s.seq.tree().FindChar(index);
  const Value* v = s.values.Find(loc.run().peer, loc.run().counter + loc.off);
  return v ? *v : Value::Null();
}

std::optional<Container> ListRef::GetContainer(uint64_t index) const {
  const SeqState& s = Seq(doc_, index_);
  if (index >= s.seq.size().chars) return std::nullopt;
  RunTree::Loc loc = s.seq.tree().FindChar(index);
  const Value* v = s.values.Find(loc.run().peer, loc.run().counter + loc.off);
  if (!v || !v->is_container()) return std::nullopt;
  return doc_->ItemContainer(s.seq.IdAt(loc));
}

std::vector<Value> ListRef::ToVector() const {
  const SeqState& s = Seq(doc_, index_);
  std::vector<Value> out;
  out.reserve(s.seq.size().chars);
  for (const RunLeaf* l = s.seq.tree().first_leaf(); l; l = l->next) {
    for (uint32_t i = 0; i < l->count; ++i) {
      const Run& r = l->runs[i];
      if (r.deleted()) continue;
      for (uint32_t k = 0; k < r.len; ++k) {
        const Value* v = s.values.Find(r.peer, r.counter + k);
        out.push_back(v ? *v : Value::Null());
      }
    }
  }
  return out;
}

Status ListRef::Insert(uint64_t index, std::span<const Value> values) {
  if (index > size()) return Status::InvalidArgument("list index out of range");
  for (const Value& v : values) {
    Status s = CheckScalar(v);
    if (!s.ok()) return s;
  }
  if (values.empty()) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  const std::string text(values.size(), kListItemPlaceholder);
  const uint64_t counter =
      LocalSeqInsert(doc_, index_, index, text, utf8::Counts{values.size(), values.size()});
  SeqState& s = Seq(doc_, index_);
  if (s.values.Put(s.seq.peers().Intern(doc_->peer()), counter,
                   std::vector<Value>(values.begin(), values.end())))
    doc_->NoteGrown(index_);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

Status ListRef::InsertContainer(uint64_t index, ContainerType type, Container* out) {
  if (index > size()) return Status::InvalidArgument("list index out of range");
  if (doc_->node(index_).depth + 1 > doc_->limits().max_depth)
    return Status::LimitExceeded("containers nest deeper than max_depth");
  bool implicit;
  doc_->BeginImplicit(&implicit);
  const std::string text(1, kListItemPlaceholder);
  const uint64_t counter = LocalSeqInsert(doc_, index_, index, text, utf8::Counts{1, 1});
  SeqState& s = Seq(doc_, index_);
  std::vector<Value> v;
  v.push_back(Value::Container(type));
  if (s.values.Put(s.seq.peers().Intern(doc_->peer()), counter, std::move(v))) doc_->NoteGrown(index_);
  const uint32_t c = doc_->NewItemContainer(index_, OpId{doc_->peer(), counter}, type);
  doc_->EndImplicit(implicit);
  *out = Container(doc_, c);
  return Status::Ok();
}

Status ListRef::Delete(uint64_t index, uint64_t count) {
  const uint64_t n = size();
  if (index > n || count > n - index) return Status::InvalidArgument("list range out of range");
  if (count == 0) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  LocalSeqDelete(doc_, index_, index, count);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

uint64_t TextRef::length(IndexUnit unit) const {
  const SeqState& s = Seq(doc_, index_);
  return s.seq.tree().CharsToUnit(unit, s.seq.size().chars);
}

std::string TextRef::ToString() const {
  const SeqState& s = Seq(doc_, index_);
  std::string out;
  out.reserve(s.seq.size().bytes);
  for (const RunLeaf* l = s.seq.tree().first_leaf(); l; l = l->next) out += l->text;
  return out;
}

Status TextRef::ConvertIndex(uint64_t index, IndexUnit from, IndexUnit to, uint64_t* out) const {
  const SeqState& s = Seq(doc_, index_);
  uint64_t chars;
  if (!s.seq.tree().UnitToChars(from, index, &chars))
    return Status::InvalidArgument("index out of range or inside a character");
  *out = s.seq.tree().CharsToUnit(to, chars);
  return Status::Ok();
}

Status TextRef::Insert(uint64_t index, std::string_view text, IndexUnit unit) {
  const SeqState& s = Seq(doc_, index_);
  uint64_t at;
  if (!s.seq.tree().UnitToChars(unit, index, &at))
    return Status::InvalidArgument("insert index " + std::to_string(index) +
                                   " is out of range or inside a character");
  utf8::Counts counts;
  if (!utf8::Validate(text, &counts))
    return Status::InvalidArgument("inserted text is not valid UTF-8");
  if (text.size() > (uint64_t{1} << 30)) return Status::InvalidArgument("inserted text is over 1 GiB");
  if (counts.code_points == 0) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  LocalSeqInsert(doc_, index_, at, text, counts);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

Status TextRef::Delete(uint64_t index, uint64_t count, IndexUnit unit) {
  const SeqState& s = Seq(doc_, index_);
  const uint64_t len = length(unit);
  uint64_t from, to;
  if (!s.seq.tree().UnitToChars(unit, index, &from) || count > len - std::min(index, len) ||
      !s.seq.tree().UnitToChars(unit, index + count, &to)) {
    return Status::InvalidArgument("delete range [" + std::to_string(index) + ", +" +
                                   std::to_string(count) + ") is out of range or splits a character");
  }
  if (to == from) return Status::Ok();
  bool implicit;
  doc_->BeginImplicit(&implicit);
  LocalSeqDelete(doc_, index_, from, to - from);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

// Counter

int64_t CounterRef::value() const { return doc_->node(index_).counter->value; }

Status CounterRef::Add(int64_t delta) {
  bool implicit;
  doc_->BeginImplicit(&implicit);
  CounterState& st = *doc_->node(index_).counter;
  const uint64_t counter = doc_->TakeCounters(1);
  st.ops.push_back(CounterEntry{OpId{doc_->peer(), counter}, delta});
  st.value = WrapAdd(st.value, delta);
  if (LocalTxnRecord* r = doc_->txn_record()) {
    LocalTxnRecord::Op& op = r->ops.emplace_back();
    op.kind = LocalTxnRecord::Op::kCounterAdd;
    op.container = index_;
    op.delta = delta;
  }
  if (doc_->observing()) {
    Doc::Accum& a = doc_->accum(index_);
    a.counter_delta = WrapAdd(a.counter_delta, delta);
  }
  doc_->Touch(index_);
  doc_->EndImplicit(implicit);
  return Status::Ok();
}

// ---- Sticky positions

Status Doc::StickyAt(Container c, uint64_t index, StickyPosition::Assoc assoc,
                     StickyPosition* out) const {
  const ContainerNode& n = *nodes_[c.index()];
  if (!n.seq) return Status::InvalidArgument("sticky positions live in a text or list");
  const Sequence& seq = n.seq->seq;
  const uint64_t len = seq.size().chars;
  if (index > len) return Status::InvalidArgument("index out of range");
  StickyPosition p;
  p.container = c;
  p.assoc = assoc;
  if (assoc == StickyPosition::kBefore) {
    if (index < len) p.item = seq.IdAt(seq.tree().FindChar(index));
  } else {
    if (index > 0) p.item = seq.IdAt(seq.tree().FindChar(index - 1));
  }
  *out = p;
  return Status::Ok();
}

Status Doc::ResolveSticky(const StickyPosition& pos, uint64_t* index) const {
  if (pos.container.doc() != this || pos.container.index() >= nodes_.size())
    return Status::InvalidArgument("position belongs to another document");
  const ContainerNode& n = *nodes_[pos.container.index()];
  if (!n.seq) return Status::InvalidArgument("sticky positions live in a text or list");
  const Sequence& seq = n.seq->seq;
  if (!pos.item) {
    *index = pos.assoc == StickyPosition::kBefore ? seq.size().chars : 0;
    return Status::Ok();
  }
  RunTree::Loc loc = seq.Find(*pos.item);
  if (!loc.leaf) return Status::InvalidArgument("position's element is not in this sequence (yet)");
  uint64_t before = seq.CharsBefore(loc);
  // An element still there: before it, or after it. A deleted one: where it
  // was (the visible elements before it), whichever the association.
  if (pos.assoc == StickyPosition::kAfter && !loc.run().deleted()) ++before;
  *index = before;
  return Status::Ok();
}

// ---- Memory

uint64_t Doc::MemoryUsage() const {
  uint64_t n = sizeof(Doc) + pending_->MemoryUsage() + version_.entries().capacity() * 16 +
               item_containers_.size() * 40 + nodes_.capacity() * sizeof(void*);
  for (const auto& [p, ranges] : noops_) n += 48 + ranges.size() * 48;
  for (const auto& node : nodes_) {
    n += sizeof(ContainerNode) + node->key.capacity();
    if (node->seq) {
      n += sizeof(SeqState) + node->seq->seq.tree().MemoryUsage() +
           node->seq->seq.peers().MemoryUsage() + node->seq->deletes.MemoryUsage() +
           node->seq->values.MemoryUsage();
    } else if (node->map) {
      n += sizeof(MapState);
      for (const auto& [k, s] : node->map->slots) n += 48 + k.capacity() + sizeof(MapSlot) + s.value.HeapBytes();
    } else if (node->counter) {
      n += sizeof(CounterState) + node->counter->ops.capacity() * sizeof(CounterEntry);
    }
  }
  return n;
}

}  // namespace tandem

namespace tandem {

// ---- Invariants (tests)

Status Doc::CheckInvariants() const {
  for (uint32_t c = 0; c < nodes_.size(); ++c) {
    const ContainerNode& n = *nodes_[c];
    if (c > 0 && (n.parent >= nodes_.size() || n.depth != nodes_[n.parent]->depth + 1))
      return Status::Corrupt("container " + std::to_string(c) + " has a bad parent or depth");
    if (n.seq) {
      Status s = n.seq->seq.tree().Check();
      if (!s.ok()) return s.Prefixed("container " + std::to_string(c) + ": ");
      const PeerTable& peers = n.seq->seq.peers();
      for (const RunLeaf* l = n.seq->seq.tree().first_leaf(); l; l = l->next) {
        for (uint32_t i = 0; i < l->count; ++i) {
          if (l->runs[i].end() > version_.get(peers.id(l->runs[i].peer)))
            return Status::Corrupt("item beyond the version vector");
        }
      }
      for (const DeleteRun& d : n.seq->deletes.runs()) {
        if (d.end() > version_.get(peers.id(d.peer)))
          return Status::Corrupt("delete beyond the version vector");
      }
    } else if (n.map) {
      uint64_t present = 0;
      for (const auto& [key, slot] : n.map->slots) {
        if (slot.present) ++present;
        if (slot.written && !version_.contains(slot.id))
          return Status::Corrupt("map write beyond the version vector");
        if (slot.present && !slot.written) return Status::Corrupt("map value without a write");
      }
      if (present != n.map->present) return Status::Corrupt("map key count is off");
    } else if (n.counter) {
      int64_t sum = 0;
      for (const CounterEntry& e : n.counter->ops) {
        sum = WrapAdd(sum, e.delta);
        if (!version_.contains(e.id)) return Status::Corrupt("counter add beyond the version vector");
      }
      if (sum != n.counter->value) return Status::Corrupt("counter value is not the sum of its adds");
    }
  }
  for (const auto& [item, c] : item_containers_) {
    if (c >= nodes_.size() || nodes_[c]->kind != ContainerKey::kItem || !(nodes_[c]->item == item))
      return Status::Corrupt("item container index is off");
  }
  return Status::Ok();
}

}  // namespace tandem
