// The Snapshot envelope (schema/tandem.proto): a format version and a
// serialized body, deflated when that makes it smaller, and optionally more
// of the body kept out of deflate. Shared by Text and
// Doc snapshots, which differ in format_version and body message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/arena.h>
#include <google/protobuf/message_lite.h>

#include "status.h"

namespace tandem {

// `body` is a serialized message; `stored`, if any, more of it (a serialized
// message of the same type, which protobuf merges into the body as if
// appended) that is dense already: it goes into Snapshot.stored as is,
// unless deflating it too would make it an eighth smaller, and then it is
// appended to the body before the body is deflated.
std::string WrapSnapshot(const std::string& body, uint32_t format_version,
                         std::string stored = std::string());

// An unwrapped body: inflated into a buffer of its own, or the envelope's
// bytes; and the envelope's undeflated `stored` part. Valid while this
// object lives.
class SnapshotBody {
 public:
  std::string_view bytes() const { return bytes_; }
  const std::string& stored() const { return stored_part_; }

 private:
  friend Status UnwrapSnapshot(std::string_view, uint32_t, SnapshotBody*);
  // Not a std::string: resizing one zeroes every byte before inflate
  // overwrites them, a pass over a body of megabytes.
  std::unique_ptr<char[]> inflated_;
  std::string plain_;
  std::string_view bytes_;
  std::string stored_part_;
};

// Checks the version and inflates (bounded by what deflate can reach).
Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, SnapshotBody* body);
// The same, copying the body with its stored part appended (one message)
// into *body (for tests and tools).
Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, std::string* body);

// Parses an unwrapped body into *msg: the body, then its stored part merged
// in. False if either is not a valid message.
bool ParseSnapshotBody(const SnapshotBody& body, google::protobuf::MessageLite* msg);

// Options for the arena a decoded snapshot body is parsed into: the first
// block is about the body's size (columns decode to a few times their
// varint bytes), so a parse takes a handful of mallocs and one free each.
google::protobuf::ArenaOptions SnapshotArenaOptions(size_t body_size);

}  // namespace tandem
