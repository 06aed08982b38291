// Parameter arena layout of the vanilla RNN, derived from (H, V): the native twin of src/model/layout.ts.
// Arena order Wxh [H,V], Whh [H,H], bh [H], Why [V,H], by [V]; test/parity checks both sides agree.
// Deliberately sizes only (std::size_t, no overflow for H ≤ 16384, V ≤ 2^20): no pointers, no allocation.
#pragma once
#include <cstddef>

namespace charrnn {
namespace nn {

struct RnnLayout {
  std::size_t H, V;
  std::size_t Wxh, Whh, bh, Why, by;  // offsets in elements
  std::size_t size;                   // P: total number of float32 elements

  static RnnLayout of(std::size_t H, std::size_t V) {
    RnnLayout l{};
    l.H = H;
    l.V = V;
    l.Wxh = 0;
    l.Whh = l.Wxh + H * V;
    l.bh = l.Whh + H * H;
    l.Why = l.bh + H;
    l.by = l.Why + V * H;
    l.size = l.by + V;
    return l;
  }
};

}  // namespace nn
}  // namespace charrnn
