// tandem-fuzz-seeds APPLY_DIR SNAPSHOT_DIR [DOC_APPLY_DIR DOC_SNAPSHOT_DIR]:
// writes the seed corpora of the fuzz targets (valid updates and snapshots of
// fuzz_scenario.h, and of fuzz_doc_scenario.h for the Doc targets).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <zlib.h>

#include "core/snapshot_envelope.h"
#include "fuzz_doc_scenario.h"
#include "fuzz_scenario.h"
#include "tandem.pb.h"

namespace {

bool WriteAll(const std::filesystem::path& dir, const char* prefix, const std::vector<std::string>& items) {
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < items.size(); ++i) {
    std::ofstream f(dir / (prefix + std::to_string(i)), std::ios::binary | std::ios::trunc);
    f.write(items[i].data(), static_cast<std::streamsize>(items[i].size()));
    if (!f) return false;
  }
  return true;
}

// fuzz_*snapshot_decode read a mode byte first: 0 = snapshot bytes as they
// are, 1 = a snapshot body to wrap in an uncompressed envelope.
std::vector<std::string> SnapshotSeeds(const std::vector<std::string>& snapshots) {
  std::vector<std::string> seeds;
  for (const std::string& snap : snapshots) {
    seeds.push_back(std::string(1, '\0') + snap);
    tandem::wire::Snapshot envelope;
    if (!envelope.ParseFromString(snap)) continue;
    std::string body;
    if (!tandem::UnwrapSnapshot(snap, envelope.format_version(), &body).ok()) continue;
    seeds.push_back(std::string(1, '\1') + body);
  }
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::fprintf(stderr,
                 "usage: tandem-fuzz-seeds APPLY_UPDATE_DIR SNAPSHOT_DECODE_DIR"
                 " [DOC_APPLY_UPDATE_DIR DOC_SNAPSHOT_DECODE_DIR]\n");
    return 2;
  }
  const tandem::fuzz::Scenario sc = tandem::fuzz::BuildScenario();
  const std::vector<std::string> snapshot_seeds = SnapshotSeeds(sc.snapshots);
  if (!WriteAll(argv[1], "update-", sc.updates) || !WriteAll(argv[2], "snapshot-", snapshot_seeds)) {
    std::fprintf(stderr, "tandem-fuzz-seeds: cannot write the corpus\n");
    return 1;
  }
  std::printf("tandem-fuzz-seeds: %zu updates, %zu snapshot inputs\n", sc.updates.size(), snapshot_seeds.size());
  if (argc == 5) {
    const tandem::fuzz::DocScenario dsc = tandem::fuzz::BuildDocScenario();
    const std::vector<std::string> doc_snapshot_seeds = SnapshotSeeds(dsc.snapshots);
    if (!WriteAll(argv[3], "doc-update-", dsc.updates) || !WriteAll(argv[4], "doc-snapshot-", doc_snapshot_seeds)) {
      std::fprintf(stderr, "tandem-fuzz-seeds: cannot write the document corpus\n");
      return 1;
    }
    std::printf("tandem-fuzz-seeds: %zu document updates, %zu document snapshot inputs\n", dsc.updates.size(),
                doc_snapshot_seeds.size());
  }
  return 0;
}
