#include "sim/calibration.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "core/assert.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace aethel::sim {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `operation` repeatedly for about `budget`, returns whole µs per call
// (at least 1, rounded to nearest).
template <class Operation>
std::uint64_t microseconds_per_call(std::chrono::microseconds budget, Operation operation) {
  std::uint64_t calls = 0;
  const auto start = Clock::now();
  auto elapsed = Clock::duration::zero();
  do {
    for (int i = 0; i < 16; ++i) operation();
    calls += 16;
    elapsed = Clock::now() - start;
  } while (elapsed < budget);
  const auto total_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  return std::max<std::uint64_t>(1, (total_ns + calls * 500) / (calls * 1000));
}

}  // namespace

CpuCosts measure_cpu_costs(std::uint64_t budget_ms) {
  const std::chrono::microseconds share(budget_ms * 1000 / 3);
  std::array<std::uint8_t, crypto::kSeedSize> seed{};
  seed[0] = 0x5a;
  const auto keys = crypto::keypair_from_seed(seed);
  Bytes message(120, 0x42);  // about the size of a vote's signing bytes
  const auto signature =
      crypto::sign(keys.secret_key, crypto::SigningDomain::kConsensusPrepare, message);
  Bytes kib(1024, 0x17);

  CpuCosts costs;
  costs.sign_us = microseconds_per_call(share, [&] {
    message[0] = static_cast<std::uint8_t>(message[0] + 1);
    (void)crypto::sign(keys.secret_key, crypto::SigningDomain::kConsensusPrepare, message);
  });
  message[0] = 0x42;
  costs.verify_us = microseconds_per_call(share, [&] {
    const bool ok = crypto::verify(keys.public_key, crypto::SigningDomain::kConsensusPrepare,
                                   message, signature)
                        .has_value();
    AETHEL_ASSERT(ok);
  });
  costs.sha256_kib_us = microseconds_per_call(share, [&] {
    kib[0] = static_cast<std::uint8_t>(kib[0] + 1);
    (void)crypto::sha256(kib);
  });
  costs.proof_us = kDefaultProofCostUs;
  costs.cores = std::max(1U, std::thread::hardware_concurrency());
  return costs;
}

}  // namespace aethel::sim
