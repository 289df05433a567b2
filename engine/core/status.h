// Status: the result of an operation that can fail on untrusted input.
//
// Core code does not throw across its API: every fallible call returns a
// Status (or fills one) naming what was wrong. An error Status always means
// "nothing was changed".
#pragma once

#include <string>
#include <utility>

namespace tandem {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // a caller's argument is out of range or malformed
  kCorrupt,          // bytes (network, disk) do not decode to a valid message
  kUnsupported,      // a format or protocol version this build does not know
  kLimitExceeded,    // accepting the input would pass a resource bound
  kNotFound,         // what a caller named (a path, a container) is not there
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status Corrupt(std::string msg) { return Status(StatusCode::kCorrupt, std::move(msg)); }
  static Status Unsupported(std::string msg) {
    return Status(StatusCode::kUnsupported, std::move(msg));
  }
  static Status LimitExceeded(std::string msg) {
    return Status(StatusCode::kLimitExceeded, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same error with `prefix` before its message (context for callers).
  Status Prefixed(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + message_);
  }
  // "ok" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace tandem
