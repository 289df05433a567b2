// StackArena: a protobuf arena whose first block is on the stack.
//
// Small messages (one keystroke's update) are the common case: parsing or
// building them in this arena spares the dozen heap allocations, and the
// matching frees, of a message's columns.
#pragma once

#include <google/protobuf/arena.h>

namespace tandem {

struct StackArena {
  alignas(16) char block[4096];
  google::protobuf::Arena arena{MakeOptions(block)};
  static google::protobuf::ArenaOptions MakeOptions(char* b) {
    google::protobuf::ArenaOptions o;
    o.initial_block = b;
    o.initial_block_size = sizeof(StackArena::block);
    return o;
  }
};

}  // namespace tandem
