// The Snapshot envelope (schema/tandem.proto): a format version and a
// serialized body, deflated when that makes it smaller. Shared by Text and
// Doc snapshots, which differ in format_version and body message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace tandem {

std::string WrapSnapshot(const std::string& body, uint32_t format_version);
// Checks the version and inflates (bounded by what deflate can reach).
// *body points into *storage or into the parsed envelope kept in *storage.
Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, std::string* body);

}  // namespace tandem
