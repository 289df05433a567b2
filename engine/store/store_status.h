// StoreStatus: the result of a store operation.
//
// The store never throws across its API. Every fallible call returns a
// StoreStatus whose message names what failed (the document, the row, the
// SQLite error). An error from a write means the write was not committed.
#pragma once

#include <string>
#include <utility>

namespace tandem::store {

enum class StoreCode {
  kOk = 0,
  kNotFound,         // no such document / version
  kCorrupt,          // a row failed its checksum, SQLite reports a malformed file,
                     // or the core refused stored bytes
  kIoError,          // SQLite or the OS failed to read or write (disk full, EIO, ...)
  kBusy,             // the file is locked by another process
  kUnsupported,      // the file is from a newer build, or is not a Tandem store
  kInvalidArgument,  // a caller's argument is malformed or the call is not allowed here
  kClosed,           // the store is closing or closed
  kAborted,          // a compaction lost a race with another compaction or a deletion
};

class StoreStatus {
 public:
  StoreStatus() = default;
  static StoreStatus Ok() { return StoreStatus(); }
  static StoreStatus NotFound(std::string m) { return {StoreCode::kNotFound, std::move(m)}; }
  static StoreStatus Corrupt(std::string m) { return {StoreCode::kCorrupt, std::move(m)}; }
  static StoreStatus IoError(std::string m) { return {StoreCode::kIoError, std::move(m)}; }
  static StoreStatus Busy(std::string m) { return {StoreCode::kBusy, std::move(m)}; }
  static StoreStatus Unsupported(std::string m) { return {StoreCode::kUnsupported, std::move(m)}; }
  static StoreStatus InvalidArgument(std::string m) { return {StoreCode::kInvalidArgument, std::move(m)}; }
  static StoreStatus Closed(std::string m) { return {StoreCode::kClosed, std::move(m)}; }
  static StoreStatus Aborted(std::string m) { return {StoreCode::kAborted, std::move(m)}; }

  bool ok() const { return code_ == StoreCode::kOk; }
  StoreCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ok" or "<code name>: <message>".
  std::string ToString() const;
  // The same code with `context + ": "` prepended to the message.
  StoreStatus Prefixed(const std::string& context) const;

 private:
  StoreStatus(StoreCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StoreCode code_ = StoreCode::kOk;
  std::string message_;
};

}  // namespace tandem::store
