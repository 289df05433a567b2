#include "store/store_status.h"

namespace tandem::store {

namespace {
const char* CodeName(StoreCode code) {
  switch (code) {
    case StoreCode::kOk: return "ok";
    case StoreCode::kNotFound: return "not found";
    case StoreCode::kCorrupt: return "corrupt";
    case StoreCode::kIoError: return "io error";
    case StoreCode::kBusy: return "busy";
    case StoreCode::kUnsupported: return "unsupported";
    case StoreCode::kInvalidArgument: return "invalid argument";
    case StoreCode::kClosed: return "closed";
    case StoreCode::kAborted: return "aborted";
  }
  return "unknown";
}
}  // namespace

std::string StoreStatus::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

StoreStatus StoreStatus::Prefixed(const std::string& context) const {
  if (ok()) return *this;
  return StoreStatus(code_, context + ": " + message_);
}

}  // namespace tandem::store
