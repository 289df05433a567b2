#include "snapshot_envelope.h"

#include <zlib.h>

#include <algorithm>

#include "tandem.pb.h"

#include "format.h"

namespace tandem {

namespace {

// Raw deflate (RFC 1951, no zlib header or Adler-32): the store checksums
// every row and the sizes are checked, so the trailer's checksum would only
// cost time on every load.
bool RawDeflate(const std::string& in, std::string* out) {
  z_stream z{};
  if (deflateInit2(&z, format::kSnapshotDeflateLevel, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  out->resize(deflateBound(&z, in.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  const int rc = deflate(&z, Z_FINISH);
  out->resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

// Inflates exactly out->size() bytes; false unless the stream ends there.
bool RawInflate(const std::string& in, std::string* out) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  const int rc = inflate(&z, Z_FINISH);
  const bool ok = rc == Z_STREAM_END && z.total_out == out->size();
  inflateEnd(&z);
  return ok;
}

}  // namespace

std::string WrapSnapshot(const std::string& body, uint32_t format_version) {
  wire::Snapshot snapshot;
  snapshot.set_format_version(format_version);
  snapshot.set_body_size(body.size());
  std::string packed;
  if (RawDeflate(body, &packed) && packed.size() < body.size()) {
    snapshot.set_deflated(true);
    snapshot.set_body(std::move(packed));
  } else {
    snapshot.set_body(body);
  }
  std::string out;
  snapshot.SerializeToString(&out);
  return out;
}

Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, std::string* body) {
  wire::Snapshot snapshot;
  if (bytes.size() > INT32_MAX ||
      !snapshot.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corrupt("snapshot is not a valid protobuf message");
  }
  if (snapshot.format_version() != format_version) {
    return Status::Unsupported("snapshot format version " +
                               std::to_string(snapshot.format_version()));
  }
  if (snapshot.deflated()) {
    // Deflate cannot expand more than 1032:1: a larger claimed size is a
    // lie, and would make us allocate without bound.
    const uint64_t size = snapshot.body_size();
    const std::string& packed = snapshot.body();
    if (size > INT32_MAX || size > 1032 * static_cast<uint64_t>(packed.size()) + 64) {
      return Status::Corrupt("snapshot body size is not reachable by deflate");
    }
    body->resize(size);
    if (!RawInflate(packed, body)) {
      return Status::Corrupt("snapshot body does not inflate to its declared size");
    }
  } else {
    if (snapshot.body_size() != snapshot.body().size())
      return Status::Corrupt("snapshot body size does not match");
    *body = std::move(*snapshot.mutable_body());
  }
  return Status::Ok();
}

google::protobuf::ArenaOptions SnapshotArenaOptions(size_t body_size) {
  google::protobuf::ArenaOptions options;
  // Bounded: the body is already in memory, and a larger message only makes
  // the arena take more blocks of the maximum size.
  options.start_block_size = std::clamp<size_t>(body_size, 4096, size_t{1} << 22);
  options.max_block_size = size_t{1} << 22;
  return options;
}

}  // namespace tandem
