// The Snapshot envelope (schema/tandem.proto): a format version and a
// serialized body, deflated when that makes it smaller. Shared by Text and
// Doc snapshots, which differ in format_version and body message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/arena.h>

#include "status.h"

namespace tandem {

std::string WrapSnapshot(const std::string& body, uint32_t format_version);

// An unwrapped body: inflated into a buffer of its own, or the envelope's
// stored bytes. bytes() is valid while this object lives.
class SnapshotBody {
 public:
  std::string_view bytes() const { return bytes_; }

 private:
  friend Status UnwrapSnapshot(std::string_view, uint32_t, SnapshotBody*);
  // Not a std::string: resizing one zeroes every byte before inflate
  // overwrites them, a pass over a body of megabytes.
  std::unique_ptr<char[]> inflated_;
  std::string stored_;
  std::string_view bytes_;
};

// Checks the version and inflates (bounded by what deflate can reach).
Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, SnapshotBody* body);
// The same, copying the body into *body (for tests and tools).
Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, std::string* body);

// Options for the arena a decoded snapshot body is parsed into: the first
// block is about the body's size (columns decode to a few times their
// varint bytes), so a parse takes a handful of mallocs and one free each.
google::protobuf::ArenaOptions SnapshotArenaOptions(size_t body_size);

}  // namespace tandem
