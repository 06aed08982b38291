// xoshiro128** of charrnn, bit-identical to src/util/rng.ts (nextU32, nextFloat). Header-only.
// Deliberately only what the native side draws with: no seeding (the state always comes from JS),
// no Gaussian (initialisation happens in TS).
#pragma once
#include <cstdint>

namespace charrnn {

struct Xoshiro128ss {
  std::uint32_t s[4];

  static std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

  // Next uint32: the same operations as Rng.nextU32 (Math.imul is a wrapping 32-bit multiply).
  std::uint32_t next_u32() {
    const std::uint32_t result = rotl(s[1] * 5u, 7) * 9u;
    const std::uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  // Uniform in [0, 1) with 24 random bits: (u32 >>> 8)·2^-24, exact in float and double.
  double next_float() { return static_cast<double>(next_u32() >> 8) * 5.9604644775390625e-8; }
};

}  // namespace charrnn
