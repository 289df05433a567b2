#include "net/memory_storage.h"

#include <memory>

namespace tandem::net {

void MemoryDocStorage::Load(const std::string& name, PeerId peer, LoadDone done) {
  LoadedDocument loaded;
  loaded.doc = NewDocument(peer);
  store::StoreStatus st;
  auto it = docs_.find(name);
  if (it != docs_.end()) {
    loaded.epoch = it->second.epoch;
    for (const auto& u : it->second.updates) {
      Status cs = ApplyDocumentUpdate(*loaded.doc, u);
      if (!cs.ok()) {
        st = store::StoreStatus::Corrupt("stored update refused: " + cs.message());
        loaded.doc.reset();
        break;
      }
    }
  }
  auto shared = std::make_shared<LoadedDocument>(std::move(loaded));
  completions_.push_back([done = std::move(done), st, shared]() { done(st, std::move(*shared)); });
}

void MemoryDocStorage::Append(const std::string& name, std::string update, AppendDone done) {
  store::StoreStatus st;
  if (fail_appends_) {
    st = store::StoreStatus::IoError("injected append failure");
  } else {
    Stored& d = docs_[name];
    if (d.epoch == 0) d.epoch = next_epoch_++;
    d.updates.push_back(std::move(update));
  }
  completions_.push_back([done = std::move(done), st]() { done(st); });
}

size_t MemoryDocStorage::RunCompletions(size_t max) {
  size_t n = 0;
  while (n < max && !completions_.empty()) {
    auto f = std::move(completions_.front());
    completions_.pop_front();
    f();
    ++n;
  }
  return n;
}

void MemoryDocStorage::Reset() {
  docs_.clear();
  next_epoch_ += 1000;
}

std::vector<std::string> MemoryDocStorage::Updates(const std::string& name) const {
  auto it = docs_.find(name);
  return it == docs_.end() ? std::vector<std::string>{} : it->second.updates;
}

}  // namespace tandem::net
