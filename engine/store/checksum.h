// Checksums for stored rows: CRC-32C (Castagnoli), independent of SQLite.
//
// Every log, outbox and snapshot row stores RowChecksum(doc_id, seq, data) in
// its `crc` column, so a flipped byte in the payload, the sequence number or
// the owning document id is detected when the row is read. See
// docs/persistence.md ("Integrity"). Uses the SSE4.2 crc32 instruction when the
// CPU has it, a table otherwise; both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::store {

// CRC-32C of `n` bytes, continuing from a previous result `crc` (0 to start).
// Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);
// The portable table implementation (exposed so tests can compare the paths).
uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc = 0);

// The checksum a row stores: CRC-32C over le64(doc_id) || le64(seq) || data.
// For snapshots `seq` is the snapshot's upto_seq.
uint32_t RowChecksum(int64_t doc_id, uint64_t seq, std::string_view data);

}  // namespace tandem::store
