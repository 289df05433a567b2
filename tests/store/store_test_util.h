// Helpers shared by the store tests: temp dirs, a bytes-level merge
// function, and raw file surgery for corruption tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "store/log_store.h"

namespace tandem::store::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tandem-store-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A merge function over opaque bytes: the snapshot is the concatenation of
// every update, each followed by '|'. Lets the bytes-level store be tested
// without the core.
inline StoreStatus ConcatMerge(std::string_view, const std::string* snapshot,
                               const std::vector<LogEntry>& log, std::string* out) {
  std::string s = snapshot ? *snapshot : std::string();
  for (const LogEntry& e : log) {
    s += e.data;
    s += '|';
  }
  *out = std::move(s);
  return StoreStatus::Ok();
}

// The bytes-level state of a doc as ConcatMerge would produce it.
inline std::string Flatten(const DocRecord& rec) {
  std::string out;
  ConcatMerge(rec.name, rec.snapshot ? &rec.snapshot->data : nullptr, rec.log, &out);
  return out;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// XORs the byte at `offset` with `mask`.
inline void FlipByte(const std::string& path, size_t offset, unsigned char mask = 0x5A) {
  std::string bytes = ReadFileBytes(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  WriteFileBytes(path, bytes);
}

// Offset of the only occurrence of `needle` in the file (fails if not unique).
inline size_t FindUnique(const std::string& path, const std::string& needle) {
  std::string bytes = ReadFileBytes(path);
  size_t pos = bytes.find(needle);
  EXPECT_NE(pos, std::string::npos) << "marker not in file";
  EXPECT_EQ(bytes.find(needle, pos + 1), std::string::npos) << "marker not unique";
  return pos;
}

inline StoreOptions ConcatOptions() {
  StoreOptions o;
  o.merge = ConcatMerge;
  return o;
}

}  // namespace tandem::store::testing
