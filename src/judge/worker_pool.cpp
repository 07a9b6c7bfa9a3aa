#include "judge/worker_pool.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "core/assert.h"
#include "judge/prover.h"

namespace aethel::judge {
namespace {

constexpr std::uint32_t kFrameBytesMax = 64u << 20;
constexpr std::size_t kFrameHeaderBytes = 8;  // item index, output size
constexpr std::size_t kReadChunkBytes = 64u << 10;

using ItemCounter = std::atomic<std::uint64_t>;
static_assert(ItemCounter::is_always_lock_free, "the item counter is shared across processes");

// The index of the next item nobody has taken, in memory that the parent and
// every worker share after the fork.
class SharedCounter {
 public:
  SharedCounter() {
    void* page = ::mmap(nullptr, sizeof(ItemCounter), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED) counter_ = new (page) ItemCounter(0);
  }
  ~SharedCounter() {
    if (counter_ != nullptr) ::munmap(counter_, sizeof(ItemCounter));
  }
  SharedCounter(const SharedCounter&) = delete;
  SharedCounter& operator=(const SharedCounter&) = delete;

  bool usable() const noexcept { return counter_ != nullptr; }
  std::uint64_t take() noexcept { return counter_->fetch_add(1, std::memory_order_relaxed); }
  // No worker takes another of `count` items.
  void close(std::size_t count) noexcept { counter_->store(count, std::memory_order_relaxed); }
  // How many of `count` items some worker took.
  std::size_t taken(std::size_t count) const noexcept {
    return static_cast<std::size_t>(
        std::min<std::uint64_t>(counter_->load(std::memory_order_relaxed), count));
  }

 private:
  ItemCounter* counter_ = nullptr;
};

void put_u32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(value & 0xFFu);
    value >>= 8;
  }
}

std::uint32_t get_u32(const std::uint8_t* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | in[i];
  return value;
}

bool write_all(int fd, const std::uint8_t* bytes, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

// The worker's loop: take the next item, do it, send its output framed by
// its index. It never returns into the caller's code: an exception from the
// work ends the process, which costs the item it was doing.
[[noreturn]] void run_worker(int fd, SharedCounter& counter, std::size_t count,
                             const std::function<Bytes(std::size_t)>& work) {
  try {
    while (true) {
      const std::uint64_t item = counter.take();
      if (item >= count) ::_exit(0);
      const Bytes output = work(static_cast<std::size_t>(item));
      if (output.size() > kFrameBytesMax) ::_exit(1);
      Bytes frame(kFrameHeaderBytes + output.size());
      put_u32(frame.data(), static_cast<std::uint32_t>(item));
      put_u32(frame.data() + 4, static_cast<std::uint32_t>(output.size()));
      std::copy(output.begin(), output.end(), frame.begin() + kFrameHeaderBytes);
      if (!write_all(fd, frame.data(), frame.size())) ::_exit(1);
    }
  } catch (...) {
    ::_exit(2);
  }
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  Bytes pending;  // received bytes not yet forming a whole frame
};

// Items [first, end) in this process, until the watcher says stop.
void work_here(std::size_t first, std::size_t end, const std::function<Bytes(std::size_t)>& work,
               const OutputWatcher& watch, std::vector<std::optional<Bytes>>& outputs) {
  for (std::size_t i = first; i < end; ++i) {
    outputs[i] = work(i);
    if (watch && !watch(i, *outputs[i])) return;
  }
}

class Pool {
 public:
  Pool(std::size_t count, const std::function<Bytes(std::size_t)>& work,
       const OutputWatcher& watch, std::vector<std::optional<Bytes>>& outputs)
      : count_(count), work_(work), watch_(watch), outputs_(outputs) {}

  void run(unsigned worker_count) {
    if (counter_.usable()) {
      for (unsigned i = 0; i < worker_count; ++i) {
        if (!spawn()) break;
      }
    }
    if (workers_.empty()) {  // no process could be started: work here
      work_here(0, count_, work_, watch_, outputs_);
      return;
    }
    while (collect()) {
    }
    for (const Worker& worker : workers_) reap(worker);
    // Items nobody took, because every worker died first, are done here.
    if (!stopped_) work_here(counter_.taken(count_), count_, work_, watch_, outputs_);
  }

 private:
  bool spawn() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return false;
    }
    if (pid == 0) {
      ::close(fds[0]);
      for (const auto& worker : workers_) ::close(worker.fd);
      run_worker(fds[1], counter_, count_, work_);
    }
    ::close(fds[1]);
    workers_.push_back(Worker{pid, fds[0], {}});
    return true;
  }

  // Waits for output from any worker still connected and takes it in.
  // False once no worker is connected.
  bool collect() {
    std::vector<pollfd> polls;
    std::vector<Worker*> polled;
    for (auto& worker : workers_) {
      if (worker.fd < 0) continue;
      polls.push_back(pollfd{worker.fd, POLLIN, 0});
      polled.push_back(&worker);
    }
    if (polls.empty()) return false;
    if (::poll(polls.data(), static_cast<nfds_t>(polls.size()), -1) < 0) {
      AETHEL_ASSERT_MSG(errno == EINTR, "poll on worker sockets failed");
      return true;
    }
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents != 0) receive(*polled[i]);
    }
    return true;
  }

  void receive(Worker& worker) {
    ssize_t got = -1;
    do {
      got = ::read(worker.fd, chunk_.data(), chunk_.size());
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
      // The worker has exited (its last output was read before) or died; a
      // partial frame it left is dropped and its item stays without output.
      disconnect(worker);
      return;
    }
    worker.pending.insert(worker.pending.end(), chunk_.begin(), chunk_.begin() + got);
    std::size_t used = 0;
    while (worker.pending.size() - used >= kFrameHeaderBytes) {
      const std::uint8_t* header = worker.pending.data() + used;
      const std::uint32_t item = get_u32(header);
      const std::uint32_t size = get_u32(header + 4);
      if (item >= count_ || size > kFrameBytesMax || outputs_[item].has_value()) {
        // Not what run_worker sends: stop trusting this worker.
        ::kill(worker.pid, SIGKILL);
        disconnect(worker);
        return;
      }
      if (worker.pending.size() - used - kFrameHeaderBytes < size) break;
      const auto begin =
          worker.pending.begin() + static_cast<std::ptrdiff_t>(used + kFrameHeaderBytes);
      outputs_[item].emplace(begin, begin + static_cast<std::ptrdiff_t>(size));
      used += kFrameHeaderBytes + size;
      if (!stopped_ && watch_ && !watch_(item, *outputs_[item])) {
        stopped_ = true;
        counter_.close(count_);
      }
    }
    worker.pending.erase(worker.pending.begin(),
                         worker.pending.begin() + static_cast<std::ptrdiff_t>(used));
  }

  static void disconnect(Worker& worker) {
    ::close(worker.fd);
    worker.fd = -1;
    worker.pending.clear();
  }

  static void reap(const Worker& worker) {
    int status = 0;
    while (::waitpid(worker.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }

  std::size_t count_;
  const std::function<Bytes(std::size_t)>& work_;
  const OutputWatcher& watch_;
  std::vector<std::optional<Bytes>>& outputs_;
  bool stopped_ = false;  // the watcher said stop
  SharedCounter counter_;
  std::vector<Worker> workers_;
  Bytes chunk_ = Bytes(kReadChunkBytes);  // one read's worth
};

}  // namespace

std::vector<std::optional<Bytes>> run_in_workers(std::size_t count, unsigned workers,
                                                 const std::function<Bytes(std::size_t)>& work,
                                                 const OutputWatcher& watch) {
  AETHEL_ASSERT(count <= 0xFFFFFFFFu);
  std::vector<std::optional<Bytes>> outputs(count);
  if (workers <= 1 || count <= 1) {
    work_here(0, count, work, watch, outputs);
    return outputs;
  }
  Pool(count, work, watch, outputs)
      .run(static_cast<unsigned>(std::min<std::size_t>(workers, count)));
  return outputs;
}

std::vector<std::optional<Bytes>> run_in_workers(std::size_t count, unsigned workers,
                                                 const std::function<Bytes(std::size_t)>& work) {
  return run_in_workers(count, workers, work, OutputWatcher());
}

UnitResult unit_lost_with_worker(const CheckedUnit& unit) {
  UnitResult result;
  result.name = unit.name;
  result.kind = unit.kind;
  result.verdict = Verdict::kUnknown;
  result.reason = Reason::kBudget;
  result.note = "the prover process failed: it exited while proving";
  result.difficulty = difficulty_of(0, unit.span.end - unit.span.begin);
  // A crash or an out-of-memory kill is this machine's failure, not the
  // program's: like the time guard, it must not become a consensus verdict.
  result.stopped_by_local_limit = true;
  return result;
}

std::vector<std::optional<UnitResult>> prove_in_workers(
    const std::vector<const CheckedUnit*>& units, unsigned workers, const UnitProver& prover,
    const UnitWatcher& watch) {
  std::vector<std::optional<UnitResult>> results(units.size());
  if (workers <= 1 || units.size() <= 1) {
    for (std::size_t i = 0; i < units.size(); ++i) {
      results[i] = prover(*units[i]);
      if (watch && !watch(*results[i])) break;
    }
    return results;
  }
  bool stopped = false;
  OutputWatcher watch_output;
  if (watch) {
    watch_output = [&](std::size_t, const Bytes& output) {
      auto decoded = decode_unit_result(output);
      AETHEL_ASSERT_MSG(decoded.has_value(), "a worker sent a result that does not decode");
      stopped = !watch(*decoded);
      return !stopped;
    };
  }
  const auto outputs = run_in_workers(
      units.size(), workers, [&](std::size_t i) { return encode_unit_result(prover(*units[i])); },
      watch_output);
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (outputs[i]) {
      auto decoded = decode_unit_result(*outputs[i]);
      AETHEL_ASSERT_MSG(decoded.has_value(), "a worker sent a result that does not decode");
      results[i] = std::move(*decoded);
    } else if (!stopped) {
      results[i] = unit_lost_with_worker(*units[i]);
    }
  }
  return results;
}

std::vector<UnitResult> prove_in_workers(const std::vector<const CheckedUnit*>& units,
                                         unsigned workers, const UnitProver& prover) {
  auto watched = prove_in_workers(units, workers, prover, UnitWatcher());
  std::vector<UnitResult> results;
  results.reserve(watched.size());
  for (auto& result : watched) {
    AETHEL_ASSERT(result.has_value());
    results.push_back(std::move(*result));
  }
  return results;
}

std::vector<UnitResult> prove_in_workers(const std::vector<const CheckedUnit*>& units,
                                         unsigned workers) {
  return prove_in_workers(units, workers, prove_unit);
}

}  // namespace aethel::judge
