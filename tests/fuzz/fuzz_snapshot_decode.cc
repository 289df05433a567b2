// libFuzzer target: Text::DecodeSnapshot on untrusted bytes.
//
// The first input byte picks what the rest is: even, the snapshot bytes as
// they are (mostly deflated envelopes, which byte mutations rarely get
// through); odd, a SnapshotBody that is wrapped in an uncompressed envelope of
// the current format version, so mutations reach the columns directly.
//
// A refusal must leave *out untouched; an acceptance must give a replica that
// passes CheckInvariants, whose snapshot decodes again to the same bytes, and
// that can still be edited.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/format.h"
#include "core/text.h"
#include "tandem.pb.h"

namespace {

[[noreturn]] void Die(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz_snapshot_decode: %s %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1u << 16)) return 0;
  const bool wrap = data[0] & 1;
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (wrap) {
    tandem::wire::Snapshot envelope;
    envelope.set_format_version(tandem::format::kSnapshotVersion);
    envelope.set_body_size(input.size());
    envelope.set_body(input);
    input = envelope.SerializeAsString();
  }
  const std::string_view bytes = input;
  std::unique_ptr<tandem::Text> out;
  tandem::Status st = tandem::Text::DecodeSnapshot(bytes, 7, &out);
  if (!st.ok()) {
    if (out) Die("refused snapshot replaced *out", st.ToString());
    return 0;
  }
  if (!out) Die("accepted snapshot without a replica");
  tandem::Status inv = out->CheckInvariants();
  if (!inv.ok()) Die("CheckInvariants after decoding:", inv.ToString());
  const std::string s1 = out->EncodeSnapshot();
  std::unique_ptr<tandem::Text> again;
  st = tandem::Text::DecodeSnapshot(s1, 7, &again);
  if (!st.ok()) Die("re-encoded snapshot does not decode:", st.ToString());
  if (again->EncodeSnapshot() != s1) Die("snapshot encode -> decode -> encode is not byte-stable");
  if (again->ToString() != out->ToString()) Die("re-decoded text differs");
  if (!(again->version() == out->version())) Die("re-decoded version differs");
  if (again->pending_ops() != out->pending_ops()) Die("re-decoded pending ops differ");
  if (!out->Insert(0, "x").ok() || !out->Insert(out->length(), "\xF0\x9F\x98\x80").ok() || !out->Delete(0, 1).ok()) {
    Die("local edits fail on a decoded snapshot");
  }
  inv = out->CheckInvariants();
  if (!inv.ok()) Die("CheckInvariants after local edits:", inv.ToString());
  return 0;
}
