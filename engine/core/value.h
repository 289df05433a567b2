// Value: what a Map entry or a List element holds — a scalar (null, bool,
// int64, double, UTF-8 string, bytes) or a nested container of some type.
//
// 16 bytes: scalars inline; strings and bytes of up to 8 bytes inline too
// (a shape's type, a colour, a short label: a whiteboard has two per
// shape, and each heap block cost an allocation to load), longer ones in
// one heap block. A nested
// container is only its type here; the document resolves it to the
// container itself (Map::GetContainer, List::GetContainer).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "container_type.h"

namespace tandem {

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kBytes, kContainer };

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b) {
    Value v(Kind::kBool);
    v.u_.i = b;
    return v;
  }
  static Value Int(int64_t i) {
    Value v(Kind::kInt);
    v.u_.i = i;
    return v;
  }
  static Value Double(double d) {
    Value v(Kind::kDouble);
    v.u_.d = d;
    return v;
  }
  // `s` should be valid UTF-8; the document checks it where values enter.
  static Value String(std::string_view s) { return Content(Kind::kString, s); }
  static Value Bytes(std::string_view b) { return Content(Kind::kBytes, b); }
  static Value Container(ContainerType t) {
    Value v(Kind::kContainer);
    v.u_.i = static_cast<int64_t>(t);
    return v;
  }

  Value(const Value& o) : kind_(o.kind_) { CopyFrom(o); }
  Value(Value&& o) noexcept : kind_(o.kind_), small_(o.small_), u_(o.u_) { o.kind_ = Kind::kNull; }
  Value& operator=(const Value& o) {
    if (this != &o) {
      Release();
      kind_ = o.kind_;
      CopyFrom(o);
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Release();
      kind_ = o.kind_;
      small_ = o.small_;
      u_ = o.u_;
      o.kind_ = Kind::kNull;
    }
    return *this;
  }
  ~Value() { Release(); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_container() const { return kind_ == Kind::kContainer; }
  bool as_bool() const { return u_.i != 0; }
  int64_t as_int() const { return u_.i; }
  double as_double() const { return u_.d; }
  // String or bytes content. It lives in the Value when short: the view
  // is valid while this Value is, and not after it is moved.
  std::string_view as_string() const {
    if (!has_content()) return std::string_view();
    return small_ ? std::string_view(u_.s, small_ - 1u) : std::string_view(u_.p->data, u_.p->size);
  }
  ContainerType container_type() const { return static_cast<ContainerType>(u_.i); }

  // Heap bytes held (for memory accounting).
  uint64_t HeapBytes() const { return has_heap() ? sizeof(Block) + u_.p->size : 0; }

  // Equality by kind and content (doubles bitwise, so NaN == NaN).
  friend bool operator==(const Value& a, const Value& b) {
    if (a.kind_ != b.kind_) return false;
    if (a.has_content()) return a.as_string() == b.as_string();
    if (a.kind_ == Kind::kNull) return true;
    return a.u_.i == b.u_.i;
  }

  // For logs and tests: JSON-like text.
  std::string DebugString() const;

 private:
  struct Block {
    uint32_t size;
    char data[1];
  };
  static constexpr size_t kInline = 8;
  explicit Value(Kind k) : kind_(k) {}
  static Value Content(Kind k, std::string_view s) {
    if (s.size() > kInline) return Heap(k, s);
    Value v(k);
    v.small_ = static_cast<uint8_t>(s.size() + 1);
    if (!s.empty()) std::memcpy(v.u_.s, s.data(), s.size());
    return v;
  }
  static Value Heap(Kind k, std::string_view s) {
    Value v(k);
    v.u_.p = static_cast<Block*>(::operator new(sizeof(Block) + s.size()));
    v.u_.p->size = static_cast<uint32_t>(s.size());
    if (!s.empty()) std::memcpy(v.u_.p->data, s.data(), s.size());
    return v;
  }
  bool has_content() const { return kind_ == Kind::kString || kind_ == Kind::kBytes; }
  bool has_heap() const { return has_content() && small_ == 0; }
  void CopyFrom(const Value& o) {
    small_ = o.small_;
    if (o.has_heap()) {
      Value c = Heap(o.kind_, o.as_string());
      u_ = c.u_;
      c.kind_ = Kind::kNull;
    } else {
      u_ = o.u_;
    }
  }
  void Release() {
    if (has_heap()) ::operator delete(u_.p);
    kind_ = Kind::kNull;
    small_ = 0;
  }

  Kind kind_ = Kind::kNull;
  uint8_t small_ = 0;  // an inline string or bytes: its length + 1
  union {
    int64_t i;
    double d;
    Block* p;
    char s[kInline];
  } u_{0};
};

static_assert(sizeof(Value) == 16);

}  // namespace tandem
