// The C ABI of observers and the update listener: core ChangeEvents become
// tandem_change_event structs borrowing from the core event, built on the
// thread that made the change and valid for the callback only.
#include <cstring>
#include <vector>

#include "capi/capi_internal.h"

using namespace tandem;
namespace tandem::capi {

void RefreshUpdateListener(tandem_doc* d) {
  if (!d->listener && !d->binding) {
    d->doc->SetUpdateListener(nullptr);
    return;
  }
  d->doc->SetUpdateListener([d](std::string_view update) {
    tandem_doc* self = d;  // the lambda may be replaced from inside the host's listener
    if (self->binding) self->binding->OnLocalUpdate(update);
    std::shared_ptr<Registration> reg = self->listener;
    tandem_update_cb cb = self->listener_cb;
    if (reg && cb) {
      reg->Invoke([&] {
        cb(reg->user_data, reinterpret_cast<const uint8_t*>(update.data()), update.size());
      });
    }
  });
}

}  // namespace tandem::capi

using namespace tandem::capi;

namespace {

int32_t StepKind(DeltaStep::Kind k) {
  switch (k) {
    case DeltaStep::kRetain: return TANDEM_STEP_RETAIN;
    case DeltaStep::kInsert: return TANDEM_STEP_INSERT;
    case DeltaStep::kDelete: return TANDEM_STEP_DELETE;
  }
  return TANDEM_STEP_RETAIN;
}

int32_t StepKind(ListStep::Kind k) {
  switch (k) {
    case ListStep::kRetain: return TANDEM_STEP_RETAIN;
    case ListStep::kInsert: return TANDEM_STEP_INSERT;
    case ListStep::kDelete: return TANDEM_STEP_DELETE;
  }
  return TANDEM_STEP_RETAIN;
}

// The C form of one core event; owns the arrays, borrows the bytes.
class EventBuilder {
 public:
  EventBuilder(tandem_doc* d, const ChangeEvent& ev) {
    Doc* doc = d->doc.get();
    changes_.resize(ev.changes.size());
    text_.resize(ev.changes.size());
    list_.resize(ev.changes.size());
    keys_.resize(ev.changes.size());
    list_values_.resize(ev.changes.size());
    for (size_t i = 0; i < ev.changes.size(); ++i) {
      const ContainerChange& ch = ev.changes[i];
      tandem_change& out = changes_[i];
      std::memset(&out, 0, sizeof out);
      const Container c(doc, ch.container);
      out.container = MakeHandle(d, c);
      out.path = ch.path.c_str();
      out.path_len = ch.path.size();
      switch (ch.type) {
        case ContainerType::kText:
          for (const DeltaStep& s : ch.text.steps()) {
            tandem_text_step t{StepKind(s.kind), s.count, nullptr, 0};
            if (s.kind == DeltaStep::kInsert) {
              t.text = s.text.c_str();
              t.len = s.text.size();
            }
            text_[i].push_back(t);
          }
          out.text_steps = text_[i].data();
          out.text_step_count = text_[i].size();
          break;
        case ContainerType::kList: {
          // Values first (their vector must not move once steps point in).
          auto& vals = list_values_[i];
          size_t total = 0;
          for (const ListStep& s : ch.list) total += s.values.size();
          vals.resize(total);
          ListRef l = c.AsList();
          uint64_t pos = 0;  // in the list as it is now
          size_t k = 0;
          for (const ListStep& s : ch.list) {
            tandem_list_step st{StepKind(s.kind), s.count, nullptr};
            if (s.kind == ListStep::kInsert) {
              st.values = vals.data() + k;
              for (size_t j = 0; j < s.values.size(); ++j) {
                std::optional<tandem_container> handle;
                if (s.values[j].is_container()) {
                  auto child = pos + j < l.size() ? l.GetContainer(pos + j) : std::nullopt;
                  if (child && child->type() == s.values[j].container_type())
                    handle = MakeHandle(d, *child);
                }
                ToBorrowedC(s.values[j], handle, &vals[k++]);
              }
            }
            if (s.kind != ListStep::kDelete) pos += s.count;
            list_[i].push_back(st);
          }
          out.list_steps = list_[i].data();
          out.list_step_count = list_[i].size();
          break;
        }
        case ContainerType::kMap: {
          MapRef m = c.AsMap();
          for (const MapKeyChange& kc : ch.keys) {
            tandem_key_change k;
            std::memset(&k, 0, sizeof k);
            k.key = kc.key.c_str();
            k.key_len = kc.key.size();
            if (kc.old_value) {
              k.had_old = 1;
              ToBorrowedC(*kc.old_value, std::nullopt, &k.old_value);
            }
            if (kc.new_value) {
              k.has_new = 1;
              std::optional<tandem_container> handle;
              if (kc.new_value->is_container()) {
                auto child = m.GetContainer(kc.key);
                if (child && child->type() == kc.new_value->container_type())
                  handle = MakeHandle(d, *child);
              }
              ToBorrowedC(*kc.new_value, handle, &k.new_value);
            }
            keys_[i].push_back(k);
          }
          out.keys = keys_[i].data();
          out.key_count = keys_[i].size();
          break;
        }
        case ContainerType::kCounter:
          out.counter_delta = ch.counter_delta;
          break;
      }
    }
    std::memset(&event_, 0, sizeof event_);
    event_.struct_size = sizeof event_;
    event_.local = ev.local ? 1 : 0;
    event_.origin = ev.origin.c_str();
    event_.origin_len = ev.origin.size();
    event_.changes = changes_.data();
    event_.change_count = changes_.size();
  }

  const tandem_change_event* event() const { return &event_; }

 private:
  tandem_change_event event_;
  std::vector<tandem_change> changes_;
  std::vector<std::vector<tandem_text_step>> text_;
  std::vector<std::vector<tandem_list_step>> list_;
  std::vector<std::vector<tandem_key_change>> keys_;
  std::vector<std::vector<tandem_value>> list_values_;
};

}  // namespace

extern "C" {

tandem_status tandem_doc_observe(tandem_doc* doc, const tandem_container* container, int32_t deep,
                                 tandem_change_cb cb, void* user_data,
                                 void (*user_data_free)(void*), uint64_t* out_id,
                                 tandem_error* err) {
  return Guard(err, [&] {
    Container c;
    if (tandem_status st = CheckContainer(doc, container, std::nullopt, &c, err)) return st;
    if (tandem_status st = NotNull(reinterpret_cast<const void*>(cb), "callback", err)) return st;
    if (tandem_status st = NotNull(out_id, "out_id", err)) return st;
    auto reg = std::make_shared<Registration>(nullptr, nullptr);
    const uint64_t id = doc->doc->Observe(c, deep != 0, [doc, reg, cb](const ChangeEvent& ev) {
      // An event that cannot be built (out of memory) is not delivered;
      // the change itself stands.
      try {
        EventBuilder b(doc, ev);
        reg->Invoke([&] { cb(reg->user_data, b.event()); });
      } catch (...) {
      }
    });
    try {
      doc->observers.emplace(id, reg);
    } catch (...) {
      doc->doc->Unobserve(id);
      throw;
    }
    // Only now does the registration own user_data: on any error above the
    // host's free function is never called.
    reg->user_data = user_data;
    reg->user_data_free = user_data_free;
    *out_id = id;
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_unobserve(tandem_doc* doc, uint64_t id, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    auto it = doc->observers.find(id);
    if (it == doc->observers.end()) return Fail(err, TANDEM_E_NOT_FOUND, "no such observer");
    std::shared_ptr<Registration> reg = std::move(it->second);
    doc->observers.erase(it);
    doc->doc->Unobserve(id);
    reg->End();
    return TANDEM_OK;
  });
}

tandem_status tandem_doc_set_update_listener(tandem_doc* doc, tandem_update_cb cb,
                                             void* user_data, void (*user_data_free)(void*),
                                             tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckDoc(doc, err)) return st;
    std::shared_ptr<Registration> reg;
    if (cb) reg = std::make_shared<Registration>(nullptr, nullptr);
    std::shared_ptr<Registration> old = std::move(doc->listener);
    doc->listener = reg;
    doc->listener_cb = cb;
    try {
      RefreshUpdateListener(doc);
    } catch (...) {
      doc->listener = std::move(old);
      throw;
    }
    if (reg) {
      reg->user_data = user_data;
      reg->user_data_free = user_data_free;
    }
    if (old) old->End();
    return TANDEM_OK;
  });
}

}  // extern "C"
