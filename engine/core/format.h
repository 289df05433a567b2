// Format constants of the encodings in schema/tandem.proto (docs/format.md).
#pragma once

#include <cstdint>

namespace tandem::format {

// format_version of Update and Snapshot messages written by this build.
inline constexpr uint32_t kUpdateVersion = 1;
inline constexpr uint32_t kSnapshotVersion = 1;

}  // namespace tandem::format
