// libFuzzer target: Doc::ApplyUpdate on untrusted bytes.
//
// A replica is loaded from the fixed nested base snapshot (fuzz_doc_scenario.h)
// and the input is applied to it. A refusal must leave the replica exactly as
// it was (snapshot bytes, version, JSON, no event); an acceptance must leave a
// replica whose snapshot round-trips byte for byte, that does not change when
// the same bytes are applied again, whose EncodeUpdate({}) rebuilds the same
// JSON elsewhere, and that can still be edited everywhere.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/doc.h"
#include "fuzz_doc_scenario.h"

namespace {

[[noreturn]] void Die(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz_doc_apply_update: %s %s\n", what, detail.c_str());
  std::abort();
}

const std::string& Base() {
  static const std::string snap = tandem::fuzz::BuildDocScenario().base_snapshot;
  return snap;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 16)) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tandem::DocLimits limits;
  limits.max_depth = 6;  // reachable by a mutated container table
  limits.max_pending_ops = 1u << 14;
  std::unique_ptr<tandem::Doc> d;
  if (!tandem::Doc::DecodeSnapshot(Base(), tandem::fuzz::kDocBasePeer, &d, limits).ok())
    Die("base snapshot does not decode");
  const std::string snap0 = d->EncodeSnapshot();
  const tandem::VersionVector v0 = d->version();
  const std::string json0 = d->ToJson();
  const uint64_t pending0 = d->pending_ops();
  int calls = 0;
  d->Observe(d->root(), /*deep=*/true, [&](const tandem::ChangeEvent&) { ++calls; });

  tandem::ApplyResult res;
  tandem::Status st = d->ApplyUpdate(bytes, "fuzz", &res);
  if (!st.ok()) {
    if (d->EncodeSnapshot() != snap0) Die("refused update changed the snapshot", st.ToString());
    if (!(d->version() == v0)) Die("refused update changed the version", st.ToString());
    if (d->ToJson() != json0) Die("refused update changed the JSON", st.ToString());
    if (d->pending_ops() != pending0) Die("refused update changed the pending ops", st.ToString());
    if (calls != 0) Die("refused update called an observer");
    return 0;
  }
  if (res.pending_ops != d->pending_ops()) Die("ApplyResult.pending_ops disagrees with pending_ops()");
  const std::string snap1 = d->EncodeSnapshot();
  const std::string json1 = d->ToJson();
  std::unique_ptr<tandem::Doc> reloaded;
  st = tandem::Doc::DecodeSnapshot(snap1, tandem::fuzz::kDocBasePeer, &reloaded, limits);
  if (!st.ok()) Die("snapshot of an accepted update does not decode:", st.ToString());
  if (reloaded->EncodeSnapshot() != snap1) Die("snapshot round trip is not byte-stable");
  if (reloaded->ToJson() != json1) Die("reloaded JSON differs");
  if (!(reloaded->version() == d->version())) Die("reloaded version differs");
  if (reloaded->pending_ops() != d->pending_ops()) Die("reloaded pending ops differ");

  st = d->ApplyUpdate(bytes);
  if (!st.ok()) Die("accepted once, refused twice:", st.ToString());
  if (d->EncodeSnapshot() != snap1) Die("applying the same update twice is not idempotent");

  // What the replica has applied rebuilds the same document elsewhere.
  tandem::Doc fresh(0xF2E5, limits);
  st = fresh.ApplyUpdate(d->EncodeUpdate({}));
  if (!st.ok()) Die("EncodeUpdate({}) of an accepted state is refused:", st.ToString());
  if (fresh.ToJson() != json1) Die("EncodeUpdate({}) rebuilds other JSON");
  if (d->pending_ops() == 0 && fresh.EncodeSnapshot() != snap1)
    Die("EncodeUpdate({}) rebuilds other snapshot bytes");

  // And every container can still be edited, the edits replicate.
  tandem::sim::Rng rng(size);
  const std::string before = d->EncodeUpdate({});
  for (int i = 0; i < 12; ++i) {
    std::string f = tandem::sim::RandomDocEdit(*d, rng);
    if (!f.empty()) Die("local edit fails after an accepted update:", f);
  }
  st = fresh.ApplyUpdate(d->EncodeUpdate(fresh.version()));
  if (!st.ok()) Die("local edits after an accepted update are refused elsewhere:", st.ToString());
  if (fresh.ToJson() != d->ToJson()) Die("local edits after an accepted update replicate to other JSON");
  return 0;
}
