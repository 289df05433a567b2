// The Snapshot envelope (schema/tandem.proto): a format version and a
// serialized body, deflated when that makes it smaller. Shared by Text and
// Doc snapshots, which differ in format_version and body message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/arena.h>

#include "status.h"

namespace tandem {

std::string WrapSnapshot(const std::string& body, uint32_t format_version);
// Checks the version and inflates (bounded by what deflate can reach).
// *body points into *storage or into the parsed envelope kept in *storage.
Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, std::string* body);

// Options for the arena a decoded snapshot body is parsed into: the first
// block is about the body's size (columns decode to a few times their
// varint bytes), so a parse takes a handful of mallocs and one free each.
google::protobuf::ArenaOptions SnapshotArenaOptions(size_t body_size);

}  // namespace tandem
