// Observing a Doc: observers, the update listener and transaction
// recorders, and turning what a transaction accumulated into ChangeEvents
// (doc_events.h). Apart from the core: it changes nothing in the document,
// it only tells hosts what changed.
#include "doc.h"
#include "doc_state.h"

namespace tandem {

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

}  // namespace tandem
