#include "undo_manager.h"

#include <algorithm>

#include "doc_state.h"

namespace tandem {

// ---- Redirects

void UndoManager::Redirects::Add(OpId from, uint64_t len, OpId to) {
  if (len == 0 || from == to) return;
  auto it = map_.upper_bound(from);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    const OpId pf = prev->first;
    const Target& pt = prev->second;
    if (pf.peer == from.peer && from.counter < pf.counter + pt.len) return;  // mapped already
    // Restored content is mapped item by item: keep runs as one entry.
    if (pf.peer == from.peer && pf.counter + pt.len == from.counter && pt.to.peer == to.peer &&
        pt.to.counter + pt.len == to.counter) {
      prev->second.len += len;
      return;
    }
  }
  map_.emplace_hint(it, from, Target{len, to});
}

void UndoManager::Redirects::Resolve(OpId first, uint64_t len, std::vector<IdRange>* out) const {
  std::vector<IdRange> work{{first, len}};
  while (!work.empty()) {
    IdRange r = work.back();
    work.pop_back();
    uint64_t c = r.first.counter;
    const uint64_t end = c + r.len;
    while (c < end) {
      auto it = map_.upper_bound(OpId{r.first.peer, c});
      if (it != map_.begin()) {
        auto prev = std::prev(it);
        if (prev->first.peer == r.first.peer && c < prev->first.counter + prev->second.len) {
          const uint64_t stop = std::min(end, prev->first.counter + prev->second.len);
          const OpId to = prev->second.to;
          work.push_back({OpId{to.peer, to.counter + (c - prev->first.counter)}, stop - c});
          c = stop;
          continue;
        }
      }
      uint64_t stop = end;
      if (it != map_.end() && it->first.peer == r.first.peer)
        stop = std::min(stop, it->first.counter);
      out->push_back({OpId{r.first.peer, c}, stop - c});
      c = stop;
    }
  }
}

OpId UndoManager::Redirects::ResolveOne(OpId id) const {
  std::vector<IdRange> out;
  Resolve(id, 1, &out);
  return out.front().first;
}

// ---- Recording

UndoManager::UndoManager(Doc* doc, std::vector<Container> scope, UndoOptions options)
    : doc_(doc), options_(std::move(options)) {
  for (const Container& c : scope) scope_.push_back(c.index());
  recorder_id_ = doc_->AddTxnRecorder([this](const LocalTxnRecord& rec) { OnTransaction(rec); });
}

UndoManager::~UndoManager() {
  doc_->RemoveTxnRecorder(recorder_id_);
}

void UndoManager::Clear() {
  undo_.clear();
  redo_.clear();
  redirects_.Clear();
  container_redirects_.clear();
  stop_capturing_ = false;
}

bool UndoManager::InScope(uint32_t c) const {
  for (uint32_t d = 0; d <= doc_->limits().max_depth + 1; ++d) {
    if (std::find(scope_.begin(), scope_.end(), c) != scope_.end()) return true;
    if (c == 0) return false;
    c = doc_->node(c).parent;
  }
  return false;
}

void UndoManager::Append(Step* step, const Op& op) {
  switch (op.kind) {
    case Op::kSeqInsert:
      // Typing: each character continues the previous insert.
      if (!step->ops.empty() && step->ops.back().kind == Op::kSeqInsert &&
          step->ops.back().container == op.container) {
        IdRange& r = step->ops.back().items.back();
        const IdRange& n = op.items.front();
        if (r.first.peer == n.first.peer && r.first.counter + r.len == n.first.counter) {
          r.len += n.len;
          return;
        }
      }
      break;
    case Op::kMapWrite: {
      // The step restores the value from before its first write of the key,
      // and only if its last write still holds it.
      auto [it, added] = step->map_ops.try_emplace({op.container, op.key}, step->ops.size());
      if (!added) {
        step->ops[it->second].id = op.id;
        return;
      }
      break;
    }
    case Op::kCounterAdd: {
      auto [it, added] = step->counter_ops.try_emplace(op.container, step->ops.size());
      if (!added) {
        Op& o = step->ops[it->second];
        o.delta = WrapAdd(o.delta, op.delta);
        return;
      }
      break;
    }
    case Op::kSeqDelete: break;
  }
  step->ops.push_back(op);
}

void UndoManager::OnTransaction(const LocalTxnRecord& rec) {
  if (applying_) {
    captured_ = rec;
    return;
  }
  if (rec.origin == options_.undo_origin || rec.origin == options_.redo_origin) return;
  if (options_.tracked_origins && !options_.tracked_origins->count(rec.origin)) return;
  Step step;
  for (const Op& op : rec.ops)
    if (InScope(op.container)) Append(&step, op);
  if (step.ops.empty()) return;
  redo_.clear();
  const uint64_t now = options_.now_ms ? options_.now_ms() : 0;
  const bool merge = !undo_.empty() && !stop_capturing_ && options_.now_ms &&
                     now >= last_change_ms_ && now - last_change_ms_ < options_.capture_window_ms;
  if (merge) {
    for (const Op& op : step.ops) Append(&undo_.back(), op);
  } else {
    undo_.push_back(std::move(step));
    if (options_.max_steps && undo_.size() > options_.max_steps) undo_.pop_front();
  }
  last_change_ms_ = now;
  stop_capturing_ = false;
}

// ---- Undo and redo

Status UndoManager::Undo(bool* changed) {
  return Pop(&undo_, &redo_, options_.undo_origin, changed);
}

Status UndoManager::Redo(bool* changed) {
  return Pop(&redo_, &undo_, options_.redo_origin, changed);
}

Status UndoManager::Pop(std::deque<Step>* from, std::deque<Step>* to, const std::string& origin,
                        bool* changed) {
  if (changed) *changed = false;
  if (doc_->in_transaction())
    return Status::InvalidArgument("cannot undo or redo inside a transaction");
  if (from->empty()) return Status::Ok();
  applying_ = true;
  captured_.reset();
  fresh_.clear();
  doc_->BeginTransaction(origin);
  bool did = false;
  while (!from->empty() && !did) {
    Step step = std::move(from->back());
    from->pop_back();
    const uint64_t before = next_counter();
    Invert(step);
    did = next_counter() != before;
  }
  doc_->CommitTransaction(nullptr);
  applying_ = false;
  if (captured_) {
    // The filling of restored containers is part of restoring them, not an
    // edit of its own: inverting the step deletes the container's element.
    Step inverse;
    for (const Op& op : captured_->ops)
      if (!fresh_.count(op.container) && InScope(op.container)) Append(&inverse, op);
    if (!inverse.ops.empty()) {
      to->push_back(std::move(inverse));
      if (options_.max_steps && to->size() > options_.max_steps) to->pop_front();
    }
  }
  captured_.reset();
  fresh_.clear();
  // The next edit is a step of its own, not part of the one undone before.
  stop_capturing_ = true;
  if (changed) *changed = did;
  return Status::Ok();
}

void UndoManager::Invert(const Step& step) {
  for (size_t i = step.ops.size(); i-- > 0;) {
    const Op& op = step.ops[i];
    switch (op.kind) {
      case Op::kSeqInsert: UndoInsert(op); break;
      case Op::kSeqDelete: UndoDelete(op); break;
      case Op::kMapWrite: UndoMapWrite(op); break;
      case Op::kCounterAdd: UndoCounterAdd(op); break;
    }
  }
}

uint32_t UndoManager::ResolveContainer(uint32_t c) const {
  for (auto it = container_redirects_.find(c); it != container_redirects_.end();
       it = container_redirects_.find(c)) {
    c = it->second;
  }
  return c;
}

void UndoManager::UndoInsert(const Op& op) {
  const uint32_t c = ResolveContainer(op.container);
  const bool list = doc_->node(c).type == ContainerType::kList;
  std::vector<IdRange> now;
  for (const IdRange& r : op.items) redirects_.Resolve(r.first, r.len, &now);
  for (const IdRange& r : now) {
    for (uint64_t done = 0; done < r.len;) {
      const Sequence& seq = doc_->node(c).seq->seq;
      const RunTree::Loc loc = seq.Find(OpId{r.first.peer, r.first.counter + done});
      if (!loc.leaf) break;  // not in this container (its copy did not take it)
      const uint64_t n = std::min<uint64_t>(r.len - done, loc.run().len - loc.off);
      if (!loc.run().deleted()) {
        const uint64_t at = seq.CharsBefore(loc);
        if (list) {
          ListRef(doc_, c).Delete(at, n);
        } else {
          TextRef(doc_, c).Delete(at, n);
        }
      }
      done += n;
    }
  }
}

void UndoManager::UndoDelete(const Op& op) {
  const uint32_t c = ResolveContainer(op.container);
  const bool list = doc_->node(c).type == ContainerType::kList;
  std::string_view text = op.text;
  const Value* values = op.values.data();
  // Puts items [first, +n) of the deleted ones back after `after`.
  auto restore = [&](OpId first, uint64_t n, std::optional<OpId> after) {
    if (list) {
      ReinsertValues(c, after, first, values, n);
      values += n;
    } else {
      const std::string_view piece = text.substr(0, utf8::ByteOffsetOfCodePoint(text, n));
      text.remove_prefix(piece.size());
      const uint64_t made = doc_->InsertAfterItem(c, after, piece, {});
      redirects_.Add(first, n, OpId{doc_->peer(), made});
    }
  };
  for (const IdRange& r : op.items) {
    const Sequence& seq = doc_->node(c).seq->seq;
    if (!seq.Find(r.first).leaf) {
      // The container came back as a copy, which has no tombstones: the same
      // index as in the old one.
      const Sequence& old = doc_->node(op.container).seq->seq;
      const RunTree::Loc loc = old.Find(r.first);
      const uint64_t at = std::min(loc.leaf ? old.CharsBefore(loc) : UINT64_MAX, seq.size().chars);
      std::optional<OpId> after;
      if (at > 0) after = seq.IdAt(seq.tree().FindChar(at - 1));
      restore(r.first, r.len, after);
      continue;
    }
    // Each stretch of the tombstones that is still together comes back right
    // after itself, so what others inserted between them stays between.
    for (uint64_t done = 0; done < r.len;) {
      const Sequence& s = doc_->node(c).seq->seq;
      const RunTree::Loc loc = s.Find(OpId{r.first.peer, r.first.counter + done});
      const uint64_t n =
          loc.leaf ? std::min<uint64_t>(r.len - done, loc.run().len - loc.off) : r.len - done;
      const OpId first{r.first.peer, r.first.counter + done};
      std::optional<OpId> after = OpId{first.peer, first.counter + n - 1};
      if (!loc.leaf) after = std::nullopt;
      restore(first, n, after);
      done += n;
    }
  }
}

void UndoManager::ReinsertValues(uint32_t list, std::optional<OpId> after, OpId old_first,
                                 const Value* values, uint64_t n) {
  const uint64_t first = doc_->InsertAfterItem(list, after, {}, std::span<const Value>(values, n));
  redirects_.Add(old_first, n, OpId{doc_->peer(), first});
  for (uint64_t k = 0; k < n; ++k) {
    if (!values[k].is_container()) continue;
    std::optional<Container> old = doc_->ItemContainer(OpId{old_first.peer, old_first.counter + k});
    std::optional<Container> made = doc_->ItemContainer(OpId{doc_->peer(), first + k});
    if (old && made) CopyContent(old->index(), made->index());
  }
}

void UndoManager::CopyContent(uint32_t src, uint32_t dst) {
  fresh_.insert(dst);
  container_redirects_[src] = dst;
  const ContainerNode& node = doc_->node(src);
  switch (node.type) {
    case ContainerType::kText:
    case ContainerType::kList: {
      const SeqState& s = *node.seq;
      const bool list = node.type == ContainerType::kList;
      std::vector<IdRange> old_ids;  // the visible items, in order
      std::vector<Value> values;
      for (const RunLeaf* l = s.seq.tree().first_leaf(); l; l = l->next) {
        for (uint32_t i = 0; i < l->count; ++i) {
          const Run& r = l->runs[i];
          if (r.deleted()) continue;
          old_ids.push_back({OpId{s.seq.peers().id(r.peer), r.counter}, r.len});
          for (uint32_t k = 0; list && k < r.len; ++k) {
            const std::optional<Value> v = s.values.Find(r.peer, r.counter + k);
            values.push_back(v ? *v : Value::Null());
          }
        }
      }
      if (old_ids.empty()) return;
      const std::string text = list ? std::string() : TextRef(doc_, src).ToString();
      const uint64_t first = doc_->InsertAfterItem(dst, std::nullopt, text, values);
      uint64_t pos = 0;
      for (const IdRange& r : old_ids) {
        redirects_.Add(r.first, r.len, OpId{doc_->peer(), first + pos});
        for (uint64_t k = 0; list && k < r.len; ++k) {
          if (!values[pos + k].is_container()) continue;
          std::optional<Container> o = doc_->ItemContainer(OpId{r.first.peer, r.first.counter + k});
          std::optional<Container> m = doc_->ItemContainer(OpId{doc_->peer(), first + pos + k});
          if (o && m) CopyContent(o->index(), m->index());
        }
        pos += r.len;
      }
      return;
    }
    case ContainerType::kMap: {
      MapRef to(doc_, dst);
      for (const auto& [key, slot] : node.map->slots) {
        if (!slot.present) continue;
        if (slot.value.is_container()) {
          Container made;
          if (!to.GetOrCreate(key, slot.value.container_type(), &made).ok()) continue;
          CopyContent(doc_->ChildOf(src, key, slot.value.container_type()), made.index());
        } else {
          to.Set(key, slot.value);
        }
        redirects_.Add(slot.id, 1, doc_->node(dst).map->slots.find(key)->second.id);
      }
      return;
    }
    case ContainerType::kCounter:
      if (node.counter->value != 0) CounterRef(doc_, dst).Add(node.counter->value);
      return;
  }
}

void UndoManager::UndoMapWrite(const Op& op) {
  // The write was made in op.container; copies made since (a restored list
  // element) took its present keys, with their writes mapped. The newest of
  // these containers that has a write of the key tells who holds it.
  std::vector<uint32_t> chain{op.container};
  for (auto it = container_redirects_.find(chain.back()); it != container_redirects_.end();
       it = container_redirects_.find(chain.back())) {
    chain.push_back(it->second);
  }
  const MapSlot* holder = nullptr;
  for (size_t i = chain.size(); i-- > 0 && !holder;) {
    const MapState& m = *doc_->node(chain[i]).map;
    auto it = m.slots.find(op.key);
    if (it != m.slots.end() && it->second.written) holder = &it->second;
  }
  // Somebody wrote the key since: their value stays.
  if (!holder || holder->id != redirects_.ResolveOne(op.id)) return;
  const uint32_t c = chain.back();
  MapRef map(doc_, c);
  if (!op.old_value) {
    map.Delete(op.key);
  } else if (op.old_value->is_container()) {
    // A map key's container of a type is always the same one: it comes back
    // with its content. In a copy of the map, the key's container is new and
    // gets a copy of the old one's content.
    const ContainerType type = op.old_value->container_type();
    const auto& slots = doc_->node(c).map->slots;
    auto it = slots.find(op.key);
    const bool made = it == slots.end() || it->second.child[static_cast<size_t>(type) - 1] == 0;
    Container child;
    if (!map.GetOrCreate(op.key, type, &child).ok()) return;
    if (made && c != op.container)
      CopyContent(doc_->ChildOf(op.container, op.key, type), child.index());
  } else {
    map.Set(op.key, *op.old_value);
  }
  // Steps before this one wrote (or saw) the old value under old_id; what
  // holds the key now stands for it.
  if (op.old_id) redirects_.Add(*op.old_id, 1, doc_->node(c).map->slots.find(op.key)->second.id);
}

void UndoManager::UndoCounterAdd(const Op& op) {
  if (op.delta == 0) return;
  CounterRef(doc_, ResolveContainer(op.container))
      .Add(static_cast<int64_t>(0 - static_cast<uint64_t>(op.delta)));
}

}  // namespace tandem
