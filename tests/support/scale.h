// How much randomized test sizes shrink: under the sanitizers, which run
// every test again in CI at a fraction of the speed, by this factor.
#pragma once

namespace aethel::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr int kScale = 4;
#else
inline constexpr int kScale = 1;
#endif

}  // namespace aethel::testing
