// tandem-fuzz-seeds APPLY_DIR SNAPSHOT_DIR: writes the seed corpora of the
// fuzz targets (valid updates and snapshots of fuzz_scenario.h).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <zlib.h>

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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tandem-fuzz-seeds APPLY_UPDATE_DIR SNAPSHOT_DECODE_DIR\n");
    return 2;
  }
  const tandem::fuzz::Scenario sc = tandem::fuzz::BuildScenario();
  // fuzz_snapshot_decode reads a mode byte first: 0 = snapshot bytes as they
  // are, 1 = a SnapshotBody to wrap in an uncompressed envelope.
  std::vector<std::string> snapshot_seeds;
  for (const std::string& snap : sc.snapshots) {
    snapshot_seeds.push_back(std::string(1, '\0') + snap);
    tandem::wire::Snapshot envelope;
    if (!envelope.ParseFromString(snap)) continue;
    std::string body = envelope.body();
    if (envelope.deflated()) {
      body.assign(envelope.body_size(), '\0');
      uLongf n = envelope.body_size();
      if (uncompress(reinterpret_cast<Bytef*>(body.data()), &n, reinterpret_cast<const Bytef*>(envelope.body().data()),
                     envelope.body().size()) != Z_OK) {
        continue;
      }
      body.resize(n);
    }
    snapshot_seeds.push_back(std::string(1, '\1') + body);
  }
  if (!WriteAll(argv[1], "update-", sc.updates) || !WriteAll(argv[2], "snapshot-", snapshot_seeds)) {
    std::fprintf(stderr, "tandem-fuzz-seeds: cannot write the corpus\n");
    return 1;
  }
  std::printf("tandem-fuzz-seeds: %zu updates, %zu snapshot inputs\n", sc.updates.size(), snapshot_seeds.size());
  return 0;
}
