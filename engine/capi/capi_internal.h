// capi_internal: what the engine/capi/*.cc files share — the handle structs
// behind the opaque C types, error reporting, argument checks and value
// conversion. Nothing here is exported; only tandem_* functions are.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/doc.h"
#include "core/status.h"
#include "store/log_store.h"
#include "store/store_status.h"
#include "tandem/tandem.h"

namespace tandem::capi {

// A callback registration (observer or update listener). The host's
// user_data_free runs once, when the registration has ended and no call of
// its callback is running (a callback may end its own registration).
struct Registration {
  void* user_data = nullptr;
  void (*user_data_free)(void*) = nullptr;
  int running = 0;
  bool ended = false;

  Registration(void* ud, void (*free_fn)(void*)) : user_data(ud), user_data_free(free_fn) {}
  ~Registration() { Release(); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  void End() {
    ended = true;
    if (running == 0) Release();
  }
  void Release() {
    if (user_data_free) {
      auto fn = user_data_free;
      user_data_free = nullptr;
      fn(user_data);
    }
  }
  // Runs `call` unless ended; releases afterwards if it ended meanwhile.
  template <class F>
  void Invoke(F&& call) {
    if (ended) return;
    ++running;
    call();
    --running;
    if (ended && running == 0) Release();
  }
};

// A document bound to a client subscription (capi_client.cc). The binding
// is told about every committed local update and about the document's end;
// both happen on the document's (host) thread.
class DocBinding {
 public:
  virtual ~DocBinding() = default;
  virtual void OnLocalUpdate(std::string_view update) = 0;
  virtual void OnDocFreed() = 0;
};

}  // namespace tandem::capi

struct tandem_doc {
  std::unique_ptr<tandem::Doc> doc;
  uint64_t id = 0;  // process-unique, never 0
  std::map<uint64_t, std::shared_ptr<tandem::capi::Registration>> observers;
  std::shared_ptr<tandem::capi::Registration> listener;  // the host's update listener
  tandem_update_cb listener_cb = nullptr;
  tandem::capi::DocBinding* binding = nullptr;  // set while bound to a client
  // Undo managers over this document: tandem_doc_free ends them first (their
  // core objects unhook from the Doc), leaving the handles to tandem_undo_free.
  std::set<tandem_undo*> undo_managers;
};

struct tandem_store {
  std::unique_ptr<tandem::store::LogStore> store;
};

namespace tandem::capi {

// Sets *err (if any) to `code` and a copy of `msg`; never throws. Returns code.
tandem_status Fail(tandem_error* err, tandem_status code, std::string_view msg) noexcept;
tandem_status FromCore(const Status& s, tandem_error* err) noexcept;
tandem_status FromStore(const store::StoreStatus& s, tandem_error* err) noexcept;

// Runs `f` (returning tandem_status); no exception leaves it.
template <class F>
tandem_status Guard(tandem_error* err, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Fail(err, TANDEM_E_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return Fail(err, TANDEM_E_INTERNAL, e.what());
  } catch (...) {
    return Fail(err, TANDEM_E_INTERNAL, "unknown exception");
  }
}

// Argument checks: Ok, or the error reported to `err`.
tandem_status NotNull(const void* p, const char* what, tandem_error* err) noexcept;
tandem_status CheckUtf8(const char* s, const char* what, tandem_error* err);
tandem_status CheckDoc(const tandem_doc* d, tandem_error* err) noexcept;
// `c` must be a container of `d` and, if `want` is set, of that type.
tandem_status CheckContainer(const tandem_doc* d, const tandem_container* c,
                             std::optional<ContainerType> want, Container* out,
                             tandem_error* err);
tandem_status CheckUnit(int32_t unit, IndexUnit* out, tandem_error* err) noexcept;
tandem_status CheckContainerType(uint32_t type, ContainerType* out, tandem_error* err) noexcept;

// The options a caller passed (NULL = defaults) as core limits.
tandem_status ReadDocOptions(const tandem_doc_options* opts, DocLimits* out, tandem_error* err);
// Checks the struct_size of a caller's struct of library size `size`.
tandem_status CheckStructSize(uint32_t struct_size, size_t size, const char* what,
                              tandem_error* err) noexcept;
uint64_t PickPeer(uint64_t requested);
// Installs the core update listener that feeds the doc's binding and the
// host's listener (or removes it when neither is set).
void RefreshUpdateListener(tandem_doc* d);
// Ends every undo manager of `d` (before its Doc goes); their handles stay
// valid and fail with CLOSED (capi_undo.cc).
void EndUndoManagers(tandem_doc* d) noexcept;
// Wraps a core Doc in a new handle (throws bad_alloc).
tandem_doc* NewDocHandle(std::unique_ptr<Doc> doc);

tandem_container MakeHandle(const tandem_doc* d, Container c);
tandem_container MakeHandle(uint64_t doc_id, Container c);

// Copies `bytes` into a malloc'ed, NUL-terminated buffer (throws bad_alloc).
char* CopyBytes(std::string_view bytes);
void SetBuf(std::string_view bytes, tandem_buf* out);

// A caller's input value as a core scalar.
tandem_status ToCore(const tandem_value* v, Value* out, tandem_error* err);
// A core value as an owned C value; `handle` names the container of a
// container value, when known.
void ToOwnedC(const Value& v, std::optional<tandem_container> handle, tandem_value* out);
// A core value as a C value borrowing its bytes from `v`.
void ToBorrowedC(const Value& v, std::optional<tandem_container> handle, tandem_value* out);

}  // namespace tandem::capi
