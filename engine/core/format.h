// Format constants of the encodings in schema/tandem.proto (docs/format.md).
#pragma once

#include <cstdint>

namespace tandem::format {

// format_version of Update and Snapshot messages written by this build.
inline constexpr uint32_t kUpdateVersion = 1;
inline constexpr uint32_t kSnapshotVersion = 1;
// format_version of DocUpdate messages and of Snapshot envelopes holding a
// DocSnapshotBody (a whole Doc rather than one Text).
inline constexpr uint32_t kDocUpdateVersion = 2;
inline constexpr uint32_t kDocSnapshotVersion = 2;

// zlib level for snapshot bodies: 3 keeps encoding fast and gets within a
// few percent of level 6 on editing histories.
inline constexpr int kSnapshotDeflateLevel = 3;

}  // namespace tandem::format
