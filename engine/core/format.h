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

// libdeflate level for snapshot bodies (1..12): 3 keeps encoding fast;
// higher levels gain 2-6% on editing histories for 1.5-15x the time.
inline constexpr int kSnapshotDeflateLevel = 3;

}  // namespace tandem::format
