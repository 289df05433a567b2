// tandem-converge: randomized convergence check of the Text CRDT, or with
// --doc of the whole document model (tandem::Doc, doc_sim.h).
//
//   tandem-converge --seed N --peers P --ops K [--max-len L] [--profile NAME]
//                   [--runs R] [--verbose]
//   tandem-converge --doc --seed N --peers P --ops K [--profile NAME] [--runs R]
//
// Runs the simulation of converge_sim.h for seeds N .. N+R-1 (a random seed
// when --seed is omitted) and prints one line per run:
//   converged seed=.. peers=.. ops=.. len=.. ms=..
// or
//   DIVERGED seed=.. ...: <the first failed check>
// Exit status 0 only when every run converged; 1 on divergence, 2 on usage
// errors. With --verbose every step is logged to stderr; with --dump-dir the
// bytes behind a failed snapshot/update check are written to DIR.
#include <algorithm>
#include <cerrno>
#include <iterator>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "converge_sim.h"
#include "core/undo_manager.h"
#include "doc_sim.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: tandem-converge [--seed N] [--peers P] [--ops K] [--max-len L]\n"
               "                       [--profile default|hotspot|offline|catchup|reload|no-reload|extreme-peers]\n"
               "                       [--runs R] [--verbose] [--dump-dir DIR]\n"
               "       tandem-converge --doc [--seed N] [--peers P] [--ops K]\n"
               "                       [--profile default|offline|catchup|reload|shallow|hotspot]\n"
               "                       [--runs R] [--verbose]\n");
}

bool ParseU64(const char* s, uint64_t* out) {
  if (!s || !*s) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 0);
  if (errno != 0 || *end != '\0' || s[0] == '-') return false;
  *out = v;
  return true;
}

}  // namespace

// Undo/redo interleaved with everything else: each replica's Doc gets an
// UndoManager over the whole document with a fake clock (steps merge when
// they fall in the capture window); a hook step undoes, redoes or cuts the
// capture.
tandem::sim::DocSimHooks UndoHooks() {
  struct State {
    uint64_t now = 0;
    std::unique_ptr<tandem::UndoManager> undo;
  };
  tandem::sim::DocSimHooks h;
  h.attach = [](tandem::sim::DocReplica& r) {
    auto st = std::make_shared<State>();
    tandem::UndoOptions o;
    o.capture_window_ms = 500;
    State* raw = st.get();
    o.now_ms = [raw] { return raw->now += 137; };
    st->undo = std::make_unique<tandem::UndoManager>(r.doc.get(), std::vector<tandem::Container>{r.doc->root()}, o);
    r.hook_state = st;
  };
  h.step = [](tandem::sim::DocReplica& r, tandem::sim::Rng& rng) -> std::string {
    auto* st = static_cast<State*>(r.hook_state.get());
    if (!st) return "no undo manager attached";
    st->now += rng.Range(0, 2000);
    const uint64_t k = rng.Range(0, 9);
    tandem::Status s;
    if (k < 5) {
      s = st->undo->Undo();
    } else if (k < 9) {
      s = st->undo->Redo();
    } else {
      st->undo->StopCapturing();
    }
    if (!s.ok()) return "undo/redo failed: " + s.ToString();
    return "";
  };
  return h;
}

int main(int argc, char** argv) {
  tandem::sim::SimOptions o;
  bool have_seed = false;
  bool doc_mode = false;
  uint64_t runs = 1;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    uint64_t n = 0;
    if (!std::strcmp(a, "--verbose") || !std::strcmp(a, "-v")) {
      o.verbose = true;
      continue;
    }
    if (!std::strcmp(a, "--doc")) {
      doc_mode = true;
      continue;
    }
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      Usage();
      return 0;
    }
    if (!std::strcmp(a, "--dump-dir") && v) {
      o.dump_dir = v;
      ++i;
      continue;
    }
    if (!std::strcmp(a, "--profile") && v) {
      o.profile = v;
      ++i;
      continue;
    }
    if (!ParseU64(v, &n)) {
      Usage();
      return 2;
    }
    ++i;
    if (!std::strcmp(a, "--seed")) {
      o.seed = n, have_seed = true;
    } else if (!std::strcmp(a, "--peers")) {
      if (n < 1 || n > 64) {
        std::fprintf(stderr, "--peers must be in 1..64\n");
        return 2;
      }
      o.peers = static_cast<int>(n);
    } else if (!std::strcmp(a, "--ops")) {
      o.ops = n;
    } else if (!std::strcmp(a, "--max-len")) {
      o.max_len = n;
    } else if (!std::strcmp(a, "--runs")) {
      runs = n;
    } else {
      Usage();
      return 2;
    }
  }
  if (!have_seed) {
    o.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    o.seed &= 0xFFFFFFFFFFFFull;  // short enough to type back in
  }
  if (doc_mode) {
    if (o.peers < 2 || o.peers > 8) {
      std::fprintf(stderr, "--doc: --peers must be in 2..8\n");
      return 2;
    }
    static const char* kDocProfiles[] = {"default", "offline", "catchup", "reload", "shallow", "hotspot"};
    if (std::find(std::begin(kDocProfiles), std::end(kDocProfiles), o.profile) == std::end(kDocProfiles)) {
      std::fprintf(stderr, "--doc: unknown profile %s\n", o.profile.c_str());
      return 2;
    }
    tandem::sim::DocSimOptions d;
    d.seed = o.seed;
    d.peers = o.peers;
    d.ops = o.ops;
    d.verbose = o.verbose;
    d.profile = o.profile;
    d.dump_dir = o.dump_dir;
    for (uint64_t k = 0; k < runs; ++k) {
      const tandem::sim::DocSimResult r = tandem::sim::RunDocSimulation(d, UndoHooks());
      std::printf("%s\n", r.Summary(d).c_str());
      std::fflush(stdout);
      if (!r.converged) {
        std::printf("reproduce: %s --verbose\n", d.CommandLine().c_str());
        return 1;
      }
      ++d.seed;
    }
    return 0;
  }
  for (uint64_t k = 0; k < runs; ++k) {
    const tandem::sim::SimResult r = tandem::sim::RunSimulation(o);
    std::printf("%s\n", r.Summary(o).c_str());
    std::fflush(stdout);
    if (!r.converged) {
      std::printf("reproduce: %s --verbose\n", o.CommandLine().c_str());
      return 1;
    }
    ++o.seed;
  }
  return 0;
}
