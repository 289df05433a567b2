// The C ABI over UndoManager (engine/core/undo_manager.h).
//
// The core manager hooks into its Doc, so it must end before the Doc does:
// each tandem_doc keeps the set of its managers and tandem_doc_free ends
// them (EndUndoManagers); the handle outlives that, answering CLOSED.
#include <chrono>
#include <memory>
#include <vector>

#include "capi_internal.h"
#include "core/undo_manager.h"

struct tandem_undo {
  tandem_doc* doc = nullptr;  // null once the document is freed
  std::unique_ptr<tandem::UndoManager> manager;
};

namespace tandem::capi {

void EndUndoManagers(tandem_doc* d) noexcept {
  for (tandem_undo* u : d->undo_managers) {
    u->manager.reset();
    u->doc = nullptr;
  }
  d->undo_managers.clear();
}

namespace {

tandem_status CheckUndo(const tandem_undo* u, tandem_error* err) noexcept {
  if (u == nullptr) return Fail(err, TANDEM_E_INVALID_ARG, "undo manager is NULL");
  if (u->doc == nullptr || !u->manager)
    return Fail(err, TANDEM_E_CLOSED, "the undo manager's document was freed");
  return TANDEM_OK;
}

tandem_status Step(tandem_undo* u, bool redo, int* out_changed, tandem_error* err) {
  return Guard(err, [&] {
    if (out_changed) *out_changed = 0;
    if (tandem_status st = CheckUndo(u, err)) return st;
    if (u->doc->doc->in_transaction())
      return Fail(err, TANDEM_E_BUSY, "a transaction is open on the document");
    bool changed = false;
    Status st = redo ? u->manager->Redo(&changed) : u->manager->Undo(&changed);
    if (!st.ok()) return FromCore(st, err);
    if (out_changed) *out_changed = changed ? 1 : 0;
    return TANDEM_OK;
  });
}

}  // namespace
}  // namespace tandem::capi

using namespace tandem::capi;  // NOLINT: the file's whole purpose

void tandem_undo_options_init(tandem_undo_options* opts) {
  if (!opts) return;
  *opts = tandem_undo_options{};
  opts->struct_size = sizeof(tandem_undo_options);
  opts->capture_window_ms = 500;
}

tandem_status tandem_undo_new(tandem_undo** out, tandem_doc* doc, const tandem_container* scope,
                              size_t count, const tandem_undo_options* opts, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = NotNull(out, "out", err)) return st;
    *out = nullptr;
    if (tandem_status st = CheckDoc(doc, err)) return st;
    if (tandem_status st = NotNull(scope, "scope", err)) return st;
    if (count == 0) return Fail(err, TANDEM_E_INVALID_ARG, "the scope holds no container");
    tandem::UndoOptions o;
    if (opts) {
      if (tandem_status st =
              CheckStructSize(opts->struct_size, sizeof(tandem_undo_options), "undo options", err))
        return st;
      o.capture_window_ms = opts->capture_window_ms;
      o.max_steps = static_cast<size_t>(opts->max_steps);
    }
    // The core has no clock (engine/core stays pure); the ABI brings one.
    o.now_ms = [] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count());
    };
    std::vector<tandem::Container> containers;
    containers.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      tandem::Container c;
      if (tandem_status st = CheckContainer(doc, &scope[i], std::nullopt, &c, err)) return st;
      containers.push_back(c);
    }
    auto u = std::make_unique<tandem_undo>();
    u->doc = doc;
    u->manager =
        std::make_unique<tandem::UndoManager>(doc->doc.get(), std::move(containers), std::move(o));
    doc->undo_managers.insert(u.get());
    *out = u.release();
    return TANDEM_OK;
  });
}

void tandem_undo_free(tandem_undo* undo) {
  if (!undo) return;
  try {
    if (undo->doc) undo->doc->undo_managers.erase(undo);
    undo->manager.reset();
  } catch (...) {
  }
  delete undo;
}

tandem_status tandem_undo_undo(tandem_undo* undo, int* out_changed, tandem_error* err) {
  return Step(undo, /*redo=*/false, out_changed, err);
}

tandem_status tandem_undo_redo(tandem_undo* undo, int* out_changed, tandem_error* err) {
  return Step(undo, /*redo=*/true, out_changed, err);
}

tandem_status tandem_undo_counts(const tandem_undo* undo, size_t* out_undo, size_t* out_redo,
                                 tandem_error* err) {
  if (tandem_status st = CheckUndo(undo, err)) return st;
  if (out_undo) *out_undo = undo->manager->undo_size();
  if (out_redo) *out_redo = undo->manager->redo_size();
  return TANDEM_OK;
}

tandem_status tandem_undo_stop_capturing(tandem_undo* undo, tandem_error* err) {
  if (tandem_status st = CheckUndo(undo, err)) return st;
  undo->manager->StopCapturing();
  return TANDEM_OK;
}

tandem_status tandem_undo_clear(tandem_undo* undo, tandem_error* err) {
  return Guard(err, [&] {
    if (tandem_status st = CheckUndo(undo, err)) return st;
    undo->manager->Clear();
    return TANDEM_OK;
  });
}
