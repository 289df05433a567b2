#include "status.h"

namespace tandem {

std::string Status::ToString() const {
  const char* name = "ok";
  switch (code_) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: name = "invalid argument"; break;
    case StatusCode::kCorrupt: name = "corrupt"; break;
    case StatusCode::kUnsupported: name = "unsupported"; break;
    case StatusCode::kLimitExceeded: name = "limit exceeded"; break;
    case StatusCode::kNotFound: name = "not found"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace tandem
