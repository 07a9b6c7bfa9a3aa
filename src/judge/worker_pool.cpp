#include "judge/worker_pool.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include "core/assert.h"
#include "fmt/format.h"
#include "judge/prover.h"

namespace aethel::judge {
namespace {

constexpr std::uint32_t kNoMoreTasks = 0xFFFFFFFF;
constexpr std::uint32_t kFrameBytesMax = 64u << 20;

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t written = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

bool read_all(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t got = ::read(fd, bytes, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

// The worker's loop: read a task index, prove, send the encoded result.
[[noreturn]] void run_worker(int fd, const std::vector<const CheckedUnit*>& units) {
  while (true) {
    std::uint32_t task = 0;
    if (!read_all(fd, &task, sizeof task) || task == kNoMoreTasks) ::_exit(0);
    AETHEL_ASSERT(task < units.size());
    const Bytes encoded = encode_unit_result(prove_unit(*units[task]));
    const auto size = static_cast<std::uint32_t>(encoded.size());
    if (!write_all(fd, &size, sizeof size) || !write_all(fd, encoded.data(), encoded.size())) {
      ::_exit(1);
    }
  }
}

UnitResult worker_lost(const CheckedUnit& unit, const std::string& why) {
  UnitResult result;
  result.name = unit.name;
  result.kind = unit.kind;
  result.verdict = Verdict::kUnknown;
  result.reason = Reason::kBudget;
  result.note = fmt::format("the prover process failed: {}", why);
  result.difficulty = difficulty_of(0, unit.span.end - unit.span.begin);
  // A crash or an out-of-memory kill is this machine's failure, not the
  // program's: like the time guard, it must not become a consensus verdict.
  result.stopped_by_local_limit = true;
  return result;
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::optional<std::uint32_t> task;  // the task it is proving
};

class Pool {
 public:
  Pool(const std::vector<const CheckedUnit*>& units, std::vector<UnitResult>& results)
      : units_(units), results_(results) {}

  void run(unsigned worker_count) {
    for (unsigned i = 0; i < worker_count; ++i) {
      if (!spawn()) break;
    }
    if (workers_.empty()) {  // no process could be started: prove here
      for (std::size_t i = 0; i < units_.size(); ++i) results_[i] = prove_unit(*units_[i]);
      return;
    }
    for (auto& worker : workers_) assign(worker);
    while (busy() > 0) collect();
    for (auto& worker : workers_) finish(worker);
    // Tasks whose worker died before they were handed out are proved here.
    for (std::size_t i = next_; i < units_.size(); ++i) results_[i] = prove_unit(*units_[i]);
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
      run_worker(fds[1], units_);
    }
    ::close(fds[1]);
    workers_.push_back(Worker{pid, fds[0], std::nullopt});
    return true;
  }

  void assign(Worker& worker) {
    if (worker.fd < 0) return;
    if (next_ >= units_.size()) {
      const std::uint32_t stop = kNoMoreTasks;
      write_all(worker.fd, &stop, sizeof stop);
      return;
    }
    const auto task = static_cast<std::uint32_t>(next_);
    if (!write_all(worker.fd, &task, sizeof task)) {
      lose(worker, "it stopped accepting work");
      return;
    }
    ++next_;
    worker.task = task;
  }

  std::size_t busy() const {
    std::size_t count = 0;
    for (const auto& worker : workers_) count += worker.task.has_value() ? 1u : 0u;
    return count;
  }

  void collect() {
    std::vector<pollfd> polls;
    std::vector<Worker*> polled;
    for (auto& worker : workers_) {
      if (!worker.task) continue;
      polls.push_back(pollfd{worker.fd, POLLIN, 0});
      polled.push_back(&worker);
    }
    if (::poll(polls.data(), static_cast<nfds_t>(polls.size()), -1) < 0) {
      AETHEL_ASSERT_MSG(errno == EINTR, "poll on worker sockets failed");
      return;
    }
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents != 0) receive(*polled[i]);
    }
  }

  void receive(Worker& worker) {
    std::uint32_t size = 0;
    Bytes frame;
    if (!read_all(worker.fd, &size, sizeof size) || size > kFrameBytesMax) {
      lose(worker, "it exited while proving");
      return;
    }
    frame.resize(size);
    if (!read_all(worker.fd, frame.data(), frame.size())) {
      lose(worker, "it exited while proving");
      return;
    }
    auto decoded = decode_unit_result(frame);
    AETHEL_ASSERT_MSG(decoded.has_value(), "a worker sent a result that does not decode");
    results_[*worker.task] = std::move(*decoded);
    worker.task.reset();
    assign(worker);
  }

  // A worker that died (a crash or out of memory inside the prover) costs
  // the unit it held, which is reported UNKNOWN rather than retried forever.
  void lose(Worker& worker, const std::string& why) {
    if (worker.task) results_[*worker.task] = worker_lost(*units_[*worker.task], why);
    worker.task.reset();
    ::close(worker.fd);
    worker.fd = -1;
  }

  void finish(Worker& worker) {
    if (worker.fd >= 0) {
      const std::uint32_t stop = kNoMoreTasks;
      write_all(worker.fd, &stop, sizeof stop);
      ::close(worker.fd);
    }
    int status = 0;
    while (::waitpid(worker.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }

  const std::vector<const CheckedUnit*>& units_;
  std::vector<UnitResult>& results_;
  std::vector<Worker> workers_;
  std::size_t next_ = 0;
};

}  // namespace

std::vector<UnitResult> prove_in_workers(const std::vector<const CheckedUnit*>& units,
                                         unsigned workers) {
  std::vector<UnitResult> results(units.size());
  if (workers <= 1 || units.size() <= 1) {
    for (std::size_t i = 0; i < units.size(); ++i) results[i] = prove_unit(*units[i]);
    return results;
  }
  Pool(units, results).run(static_cast<unsigned>(std::min<std::size_t>(workers, units.size())));
  return results;
}

}  // namespace aethel::judge
