// tandem-loadgen's command line: the flags, their checks and the usage text
// (the flags are described at the top of loadgen.cc).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "loadgen.h"
#include "net/ws_url.h"

namespace tandem::loadgen {
namespace {

int Usage(const char* why) {
  std::fprintf(
      stderr,
      "tandem-loadgen: %s\n"
      "usage: tandem-loadgen --url ws://HOST:PORT/PATH --protocol tandem|y-websocket|hocuspocus\n"
      "         [--clients C] [--rooms R] [--rate U] [--seconds T] [--warmup S]\n"
      "         [--server-pid PID] [--updates FILE] [--room-prefix P] [--no-deflate]\n"
      "         [--drain-ms MS]\n",
      why);
  return 2;
}

}  // namespace

std::optional<int> ParseOptions(int argc, char** argv, App& a) {
  Options& o = a.opt;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (k == "--no-deflate") {
      o.deflate = false;
      continue;
    }
    if (k == "-h" || k == "--help") return Usage("help"), 0;
    v = val();
    if (v == nullptr) return Usage(("missing value for " + k).c_str());
    // One flag a line: it reads as the table it is.
    // clang-format off
    if (k == "--url") o.url = v;
    else if (k == "--protocol") o.proto_name = v;
    else if (k == "--clients") o.clients = std::atoi(v);
    else if (k == "--rooms") o.rooms = std::atoi(v);
    else if (k == "--rate") o.rate = std::atof(v);
    else if (k == "--seconds") o.seconds = std::atof(v);
    else if (k == "--warmup") o.warmup = std::atof(v);
    else if (k == "--server-pid") o.server_pid = std::atol(v);
    else if (k == "--updates") o.updates_file = v;
    else if (k == "--room-prefix") o.room_prefix = v;
    else if (k == "--drain-ms") o.drain_ms = std::atoi(v);
    else return Usage(("unknown argument " + k).c_str());
    // clang-format on
  }
  // clang-format off
  if (o.proto_name == "tandem") o.proto = Proto::kTandem;
  else if (o.proto_name == "y-websocket") o.proto = Proto::kYWebsocket;
  else if (o.proto_name == "hocuspocus") o.proto = Proto::kHocuspocus;
  else return Usage("bad --protocol");
  // clang-format on
  if (!net::ParseWsUrl(o.url, &a.host, &a.port, &a.base_path)) {
    return Usage("bad --url (ws://HOST:PORT/PATH)");
  }
  if (o.clients < 2 || o.rooms < 1 || o.rooms > o.clients || o.rate <= 0 || o.seconds <= 0 ||
      o.warmup < 0) {
    return Usage("need clients >= 2, 1 <= rooms <= clients, rate > 0, seconds > 0");
  }
  if (o.proto != Proto::kTandem && o.updates_file.empty()) {
    return Usage("--updates FILE is required for the Yjs protocols (gen-updates.mjs)");
  }
  if (o.room_prefix.empty()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "lg-%08x", static_cast<unsigned>(std::random_device{}()));
    o.room_prefix = buf;
  }
  return std::nullopt;
}

}  // namespace tandem::loadgen
