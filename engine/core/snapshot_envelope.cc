#include "snapshot_envelope.h"

#include <libdeflate.h>

#include <algorithm>
#include <memory>

#include "tandem.pb.h"

#include "format.h"

namespace tandem {

namespace {

// Raw DEFLATE (RFC 1951, no zlib header or Adler-32): the store checksums
// every row and the sizes are checked, so a trailer's checksum would only
// cost time on every load. libdeflate works on whole buffers, which is
// what a snapshot is, and inflates 2.5x faster than zlib's streaming
// inflate (docs/performance.md); any raw DEFLATE stream reads the same.
struct FreeCompressor {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

bool RawDeflate(const std::string& in, std::string* out,
                int level = format::kSnapshotDeflateLevel) {
  std::unique_ptr<libdeflate_compressor, FreeCompressor> c(libdeflate_alloc_compressor(level));
  if (!c) return false;
  out->resize(libdeflate_deflate_compress_bound(c.get(), in.size()));
  const size_t n =
      libdeflate_deflate_compress(c.get(), in.data(), in.size(), out->data(), out->size());
  out->resize(n);
  return n > 0;
}

// Inflates exactly `size` bytes to `out` from all of `in`; false otherwise.
bool RawInflate(const std::string& in, char* out, size_t size) {
  std::unique_ptr<libdeflate_decompressor, FreeDecompressor> d(libdeflate_alloc_decompressor());
  if (!d) return false;
  size_t used = 0;
  // Without an actual-size pointer the stream must fill `out` exactly.
  return libdeflate_deflate_decompress_ex(d.get(), in.data(), in.size(), out, size, &used,
                                          nullptr) == LIBDEFLATE_SUCCESS &&
         used == in.size();
}

}  // namespace

std::string WrapSnapshot(const std::string& body, uint32_t format_version, std::string stored) {
  std::string joined;
  const std::string* main = &body;
  if (!stored.empty()) {
    // A trial at the fastest level: enough to tell dense bits from a
    // column deflate would shrink (a list of one repeated coordinate).
    std::string trial;
    if (RawDeflate(stored, &trial, 1) && trial.size() < stored.size() - stored.size() / 8) {
      joined.reserve(body.size() + stored.size());
      joined.append(body).append(stored);
      main = &joined;
      stored.clear();
    }
  }
  wire::Snapshot snapshot;
  snapshot.set_format_version(format_version);
  snapshot.set_body_size(main->size());
  std::string packed;
  if (RawDeflate(*main, &packed) && packed.size() < main->size()) {
    snapshot.set_deflated(true);
    snapshot.set_body(std::move(packed));
  } else {
    snapshot.set_body(*main);
  }
  if (!stored.empty()) snapshot.set_stored(std::move(stored));
  std::string out;
  snapshot.SerializeToString(&out);
  return out;
}

Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, SnapshotBody* body) {
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
    // Every byte is written by a successful inflate: none is read before.
    body->inflated_ = std::make_unique_for_overwrite<char[]>(std::max<size_t>(size, 1));
    if (!RawInflate(packed, body->inflated_.get(), size)) {
      return Status::Corrupt("snapshot body does not inflate to its declared size");
    }
    body->bytes_ = std::string_view(body->inflated_.get(), size);
  } else {
    if (snapshot.body_size() != snapshot.body().size())
      return Status::Corrupt("snapshot body size does not match");
    body->plain_ = std::move(*snapshot.mutable_body());
    body->bytes_ = body->plain_;
  }
  body->stored_part_ = std::move(*snapshot.mutable_stored());
  return Status::Ok();
}

Status UnwrapSnapshot(std::string_view bytes, uint32_t format_version, std::string* body) {
  SnapshotBody b;
  Status s = UnwrapSnapshot(bytes, format_version, &b);
  if (s.ok()) {
    body->assign(b.bytes());
    body->append(b.stored());
  }
  return s;
}

bool ParseSnapshotBody(const SnapshotBody& body, google::protobuf::MessageLite* msg) {
  const std::string_view bytes = body.bytes();
  if (bytes.size() > INT32_MAX ||
      !msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return false;
  return body.stored().empty() || msg->MergeFromString(body.stored());
}

google::protobuf::ArenaOptions SnapshotArenaOptions(size_t body_size) {
  google::protobuf::ArenaOptions options;
  // Bounded: the body is already in memory, and a larger message only makes
  // the arena take more blocks of the maximum size.
  // A multiple of 16: the arena hands out its cleanup nodes from the end of
  // the block, and an odd size leaves them misaligned (UBSan reports it).
  options.start_block_size =
      (std::clamp<size_t>(body_size, 4096, size_t{1} << 22) + 15) & ~size_t{15};
  options.max_block_size = size_t{1} << 22;
  return options;
}

}  // namespace tandem
