#include "snapshot_envelope.h"

#include <zlib.h>

#include "tandem.pb.h"

#include "format.h"

namespace tandem {

std::string WrapSnapshot(const std::string& body, uint32_t format_version) {
  wire::Snapshot snapshot;
  snapshot.set_format_version(format_version);
  snapshot.set_body_size(body.size());
  uLongf packed_size = compressBound(body.size());
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(body.data()), body.size(),
                format::kSnapshotDeflateLevel) == Z_OK &&
      packed_size < body.size()) {
    packed.resize(packed_size);
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
    uLongf out_size = size;
    if (uncompress(reinterpret_cast<Bytef*>(body->data()), &out_size,
                   reinterpret_cast<const Bytef*>(packed.data()), packed.size()) != Z_OK ||
        out_size != size) {
      return Status::Corrupt("snapshot body does not inflate to its declared size");
    }
  } else {
    if (snapshot.body_size() != snapshot.body().size())
      return Status::Corrupt("snapshot body size does not match");
    *body = std::move(*snapshot.mutable_body());
  }
  return Status::Ok();
}

}  // namespace tandem
