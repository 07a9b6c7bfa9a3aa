// Crash safety: a child process applies versions in a loop and is killed with
// SIGKILL at seeded random moments. Each reopen must show the last complete
// version, whose root and totals recompute from its contents, and no row of
// a version that was not completed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "state/ledger_state.h"
#include "tests/state/ledger_test_support.h"
#include "tests/state/test_support.h"

namespace aethel::state {
namespace {

using testing::account_of;
using testing::owner;
using testing::TempDir;

constexpr std::uint64_t kAccounts = 1000;
constexpr std::uint64_t kPairsPerVersion = 250;

TreeConfig crash_config() {
  TreeConfig config;
  config.sync_writes = false;  // a killed process loses nothing the OS has
  config.versions_kept = 5;    // so pruning is interrupted too
  return config;
}

// The child: applies transfer versions until killed. Exits non-zero only if
// the state refuses its own valid transitions.
[[noreturn]] void apply_forever(const std::filesystem::path& path, std::uint64_t seed) {
  auto ledger = LedgerState::open(path, crash_config(), LedgerConfig{});
  if (!ledger) ::_exit(3);
  if ((*ledger)->tree().latest_version() == 0 &&
      !(*ledger)->apply_genesis(testing::genesis_records(kAccounts, 1000, 0, 0))) {
    ::_exit(4);
  }
  std::vector<AccountRecord> accounts;
  for (std::uint64_t i = 0; i < kAccounts; ++i) {
    auto account = (*ledger)->account(owner(i));
    if (!account || !*account) ::_exit(5);
    accounts.push_back(**account);
  }
  std::mt19937_64 random(seed);
  std::vector<std::size_t> order(kAccounts);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (;;) {
    std::shuffle(order.begin(), order.end(), random);
    Transition transition;
    for (std::size_t pair = 0; pair < kPairsPerVersion; ++pair) {
      AccountRecord& from = accounts[order[2 * pair]];
      AccountRecord& to = accounts[order[2 * pair + 1]];
      const std::uint64_t amount =
          from.balance.value() == 0 ? 0 : 1 + random() % from.balance.value();
      from.balance -= TokenAmount(amount);
      from.nonce = from.nonce.next();
      to.balance += TokenAmount(amount);
      transition.changes.push_back(RecordChange::put(from));
      transition.changes.push_back(RecordChange::put(to));
    }
    if (!(*ledger)->apply(transition)) ::_exit(6);
  }
}

TEST(CrashSafety, KilledWritersLeaveOnlyCompleteVersions) {
  TempDir dir;
  std::mt19937_64 random(20261124);
  Version last_seen = 0;
  int slowdown = 1;
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) apply_forever(dir.path(), random());
    // A writer that made no progress last round (a slow, busy machine) gets
    // twice the time, so the test still sees versions complete.
    const auto delay_ms = (40 * testing::kScale + static_cast<int>(random() % 160)) * slowdown;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the writer stopped by itself with status " << WEXITSTATUS(status);

    auto ledger = LedgerState::open(dir.path(), crash_config(), LedgerConfig{});
    ASSERT_TRUE(ledger.has_value()) << ledger.error().to_string();
    const Version latest = (*ledger)->tree().latest_version();
    EXPECT_GE(latest, last_seen) << "round " << round;
    slowdown = latest == last_seen ? std::min(slowdown * 2, 16) : 1;
    last_seen = latest;
    if (latest == 0) continue;  // killed before genesis was written
    auto audit = (*ledger)->audit(latest);
    ASSERT_TRUE(audit.has_value()) << "round " << round << ": " << audit.error().to_string();
    EXPECT_EQ(*audit, (*ledger)->totals());
    EXPECT_EQ(audit->balances, TokenAmount(kAccounts * 1000));
    const Version oldest = (*ledger)->tree().oldest_version();
    EXPECT_TRUE((*ledger)->tree().audit(oldest).has_value()) << "oldest version " << oldest;
  }
  EXPECT_GT(last_seen, 1U) << "the writer never completed a version after genesis";
  std::printf("crash test: %d kills, %llu versions completed\n", kRounds,
              static_cast<unsigned long long>(last_seen));
}

}  // namespace
}  // namespace aethel::state
