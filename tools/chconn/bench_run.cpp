// `chconn bench`'s run loop: the workers, the fault commands, the progress line, and the summary
// gathered from the workers once they have been joined.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench.h"
#include "chconn/client/client.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/rollout.h"
#include "status_line.h"

namespace chconn::cli::bench {

namespace {

void run_worker(Worker& worker, Client client, const Plan& plan, std::atomic<std::uint64_t>& claimed,
                BenchClock::time_point begin, BenchClock::time_point end) {
  worker.latencies_ns.reserve(
      static_cast<std::size_t>(std::min<std::uint64_t>(plan.count / plan.concurrency + 1, k_max_reserve)));
  if (plan.timeline) {
    const auto seconds = static_cast<std::size_t>(std::chrono::ceil<std::chrono::seconds>(end - begin).count()) + 1;
    worker.ok_by_s.assign(std::min(seconds, k_max_timeline_s), 0);
    worker.failed_by_s.assign(worker.ok_by_s.size(), 0);
  }
  // Counts a query finished at `at` in its second of the timeline (when there is one).
  const auto tick = [&](std::vector<std::uint32_t>& by_s, BenchClock::time_point at) {
    if (by_s.empty()) return;
    const auto s = static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(at - begin).count());
    ++by_s[std::min(s, by_s.size() - 1)];
  };
  const std::function<void(const Block&)> discard = [](const Block&) {};  // made once, not per query
  std::optional<Lease> held;                                              // --lease-per-thread
  std::uint64_t done = 0;
  for (;;) {
    if (claimed.fetch_add(1, std::memory_order_relaxed) >= plan.count) break;
    const auto start = BenchClock::now();
    if (start >= end) break;
    try {
      if (plan.manager != nullptr) {
        ExecuteOptions o;
        o.strategy = plan.strategy;
        o.deadline = Deadline::after(plan.call_timeout).named("the --deadline");
        o.query = plan.options;
        (void)plan.manager->select(plan.query, discard, o);
      } else if (plan.lease_per_thread) {
        if (!held) held.emplace(client.lease());
        try {
          (*held)->select(plan.query, discard, plan.options);
        } catch (const Error& e) {
          // As every caller does (Lease::note_error); a dropped connection's lease is ended, and
          // the next query takes a new one.
          held->note_error(e);
          if (held->broken()) held.reset();
          throw;
        }
      } else {
        client.select(plan.query, discard, plan.options);
      }
      const auto finished = BenchClock::now();  // one clock read for the latency and the timeline
      worker.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(finished - start).count());
      tick(worker.ok_by_s, finished);
    } catch (const Error& e) {
      const auto k = static_cast<std::size_t>(e.kind());
      if (worker.errors[k]++ == 0) worker.first_error[k] = e.message();
      tick(worker.failed_by_s, BenchClock::now());
    }
    worker.done.store(++done, std::memory_order_relaxed);
  }
}

// The progress line on stderr, redrawn by the main thread while the workers run.
class Progress {
 public:
  Progress(bool enabled, std::uint64_t count, std::chrono::milliseconds duration)
      : enabled_(enabled),
        count_(count),
        duration_s_(std::chrono::duration<double>(duration).count()),
        start_(BenchClock::now()) {}

  void draw(std::uint64_t done) {
    if (!enabled_) return;
    const double s = std::chrono::duration<double>(BenchClock::now() - start_).count();
    constexpr int k_width = 30;
    // Whichever limit is nearer decides how full the bar is.
    const double by_count = count_ == 0 ? 0 : static_cast<double>(done) / static_cast<double>(count_);
    const double by_time = duration_s_ <= 0 ? 0 : s / duration_s_;
    const double fraction = std::min(1.0, std::max(by_count, by_time));
    const int filled = static_cast<int>(fraction * k_width);
    std::string line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                       std::string(static_cast<std::size_t>(k_width - filled), ' ') + "] " + std::to_string(done) +
                       "/" + std::to_string(count_) + " queries, " + fixed_text(s, 1) + " s";
    if (s > 0) line += ", " + fixed_text(static_cast<double>(done) / s, 0) + " q/s";
    line_.show(line);
  }

  void clear() { line_.clear(); }

 private:
  bool enabled_;
  std::uint64_t count_;
  double duration_s_;
  BenchClock::time_point start_;
  StatusLine line_;
};

}  // namespace

Summary run_bench(ConnectionFactory& factory, const Plan& plan, bool show_progress) {
  std::vector<Worker> workers(plan.concurrency);
  std::atomic<std::uint64_t> claimed{0};
  std::mutex mutex;
  std::condition_variable finished_cv;
  std::size_t finished = 0;
  Progress progress(show_progress, plan.count, plan.duration);
  // The mock records every call; a long run would grow that record without bound, so it is
  // forgotten at every progress tick.
  auto* mock = dynamic_cast<MockStrategy*>(factory.get(plan.strategy).get());

  const auto start = BenchClock::now();
  const auto end = start + plan.duration;
  // Listeners may fire after this function returns (the manager's health thread), so they share
  // the log rather than point into this frame.
  const auto events = std::make_shared<EventLog>(start);
  {
    const std::shared_ptr<ConnectionStrategy> strategy = factory.get(plan.strategy);
    const std::vector<HostStats> hosts = strategy->host_stats();
    const std::vector<CircuitBreaker*> breakers = strategy->host_breakers();
    for (std::size_t i = 0; i < breakers.size() && i < hosts.size(); ++i) {
      breakers[i]->add_listener([events, address = hosts[i].address](CircuitState from, CircuitState to) {
        events->add("breaker of host " + address + ": " + std::string(to_string(from)) + " -> " +
                    std::string(to_string(to)));
      });
    }
  }
  if (plan.manager != nullptr) {
    plan.manager->breaker(plan.strategy)
        .add_listener([events, name = plan.strategy](CircuitState from, CircuitState to) {
          events->add("manager's breaker of strategy " + name + ": " + std::string(to_string(from)) + " -> " +
                      std::string(to_string(to)));
        });
  }

  std::vector<std::thread> threads;
  threads.reserve(plan.concurrency);
  for (Worker& w : workers) {
    threads.emplace_back([&, client = Client(factory, plan.strategy)] {
      run_worker(w, client, plan, claimed, start, end);
      std::lock_guard lock(mutex);
      ++finished;
      finished_cv.notify_all();
    });
  }
  // --fault and --rollout-step: each at its time, one after the other, unless the workers are done
  // by then.
  struct Step {
    std::chrono::milliseconds at;
    std::string what;  // "fault: COMMAND", "rollout: ..."
    std::function<void()> run;
  };
  std::vector<Step> steps;
  for (const Fault& f : plan.faults) {
    steps.push_back(
        {f.at, "fault: " + f.command, [&events, command = f.command] {
           const std::string line = "(" + command + ") 1>&2";
           const int status = std::system(line.c_str());
           const int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
           events->add("fault done, exit status " + std::to_string(code) + ": " + command);
         }});
  }
  auto* rollout = dynamic_cast<RolloutStrategy*>(factory.get(plan.strategy).get());
  for (const RolloutStep& r : plan.rollout_steps) {
    if (rollout == nullptr) break;  // bench_command checked that the strategy is a rollout
    const std::string what = r.kill     ? std::string("rollout: kill switch on")
                             : r.revive ? std::string("rollout: kill switch off")
                                        : "rollout: share " + share_text(r.share) + " %";
    steps.push_back({r.at, what, [rollout, r] {
                       if (r.kill) {
                         rollout->kill();
                       } else if (r.revive) {
                         rollout->revive();
                       } else {
                         rollout->set_share(r.share);
                       }
                     }});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
  std::thread step_thread([&] {
    for (const Step& step : steps) {
      {
        std::unique_lock lock(mutex);
        if (finished_cv.wait_until(lock, start + step.at, [&] { return finished == threads.size(); })) {
          const auto colon = step.what.find(": ");
          events->add(step.what.substr(0, colon) + " not run, the run had ended: " + step.what.substr(colon + 2));
          continue;
        }
      }
      events->add(step.what);
      step.run();
    }
  });
  {
    std::unique_lock lock(mutex);
    while (!finished_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished == threads.size(); })) {
      lock.unlock();
      std::uint64_t done = 0;
      for (const Worker& w : workers) done += w.done.load(std::memory_order_relaxed);
      progress.draw(done);
      if (mock) mock->server().clear_records();
      lock.lock();
    }
  }
  for (std::thread& t : threads) t.join();
  const auto stop = BenchClock::now();
  step_thread.join();
  progress.clear();

  Summary s;
  s.elapsed_s = std::chrono::duration<double>(stop - start).count();
  std::size_t total_ok = 0;
  for (const Worker& w : workers) total_ok += w.latencies_ns.size();
  s.latencies_ns.reserve(total_ok);
  for (Worker& w : workers) {
    s.requests += w.done.load(std::memory_order_relaxed);
    s.latencies_ns.insert(s.latencies_ns.end(), w.latencies_ns.begin(), w.latencies_ns.end());
    for (std::size_t k = 0; k < k_error_kinds; ++k) {
      s.errors[k] += w.errors[k];
      if (s.first_error[k].empty()) s.first_error[k] = w.first_error[k];
    }
    // The timeline ends at the last second in which a query finished.
    for (std::size_t i = 0; i < w.ok_by_s.size(); ++i) {
      if (w.ok_by_s[i] == 0 && w.failed_by_s[i] == 0) continue;
      if (s.ok_by_s.size() <= i) {
        s.ok_by_s.resize(i + 1, 0);
        s.failed_by_s.resize(i + 1, 0);
      }
      s.ok_by_s[i] += w.ok_by_s[i];
      s.failed_by_s[i] += w.failed_by_s[i];
    }
  }
  std::sort(s.latencies_ns.begin(), s.latencies_ns.end());
  s.ok = s.latencies_ns.size();
  s.failed = s.requests - s.ok;
  s.stopped_by_count = s.requests >= plan.count;
  s.hosts = factory.get(plan.strategy)->host_stats();
  s.events = events->sorted();
  s.stats = factory.get(plan.strategy)->stats();
  s.arms = factory.get(plan.strategy)->arm_stats();
  return s;
}

}  // namespace chconn::cli::bench
