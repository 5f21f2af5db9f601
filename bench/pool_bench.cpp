// PooledStrategy acquire + release over MockConnections, against a plain mutex + deque pool
// written here as the baseline, in the same run. The baseline has none of the pool's rules
// (no clock, no lifetime, no validation, no FIFO hand-off, no stats): it is the floor a pool
// with one lock can reach.
//
//   build/<dir>/bench/pool_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Cases: 1 thread (uncontended) and 2 threads sharing one pool, with
//   Roomy   max_size 4: both threads always find an idle connection; they contend for the lock only.
//   Scarce  max_size 1: the threads take turns with one connection; every acquire may wait.
// and BM_PooledManualClock, the roomy pool on a ManualClock, to show what reading the clock costs.
// Figures are reported, never asserted.
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "chconn/strategy/mock.h"
#include "chconn/strategy/pooled.h"

namespace {

using namespace std::chrono_literals;

// The baseline: a mutex, a condition variable and a deque of connections, all made up front.
class BaselinePool {
 public:
  BaselinePool(const std::shared_ptr<chconn::MockConnector>& connector, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) idle_.push_back(connector->connect(chconn::Deadline::never()));
  }
  std::unique_ptr<chconn::Connection> acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty(); });
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void release(std::unique_ptr<chconn::Connection> c) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<chconn::Connection>> idle_;
};

std::shared_ptr<chconn::MockConnector> connector() {
  static auto c = std::make_shared<chconn::MockConnector>();
  return c;
}

// Pools shared by the threads of one benchmark, warmed before timing: every connection is open.
chconn::PooledStrategy& pooled(std::size_t max_size) {
  static auto make = [](std::size_t size) {
    auto pool = std::make_unique<chconn::PooledStrategy>(
        connector(), chconn::PooledOptions{.name = "bench", .pool = {.max_size = size, .min_idle = size}});
    pool->maintain();
    return pool;
  };
  static auto roomy = make(4);
  static auto scarce = make(1);
  return max_size == 1 ? *scarce : *roomy;
}

// The same roomy pool on a ManualClock (reading it is one atomic load): the difference to
// BM_Pooled is what reading the real (coarse monotonic) clock twice per acquire + release costs.
chconn::PooledStrategy& pooled_manual_clock() {
  static chconn::ManualClock clock;
  static auto pool = [] {
    auto p = std::make_unique<chconn::PooledStrategy>(
        connector(),
        chconn::PooledOptions{.name = "bench-manual", .pool = {.max_size = 4, .min_idle = 4}, .clock = &clock});
    p->maintain();
    return p;
  }();
  return *pool;
}

BaselinePool& baseline(std::size_t max_size) {
  static BaselinePool roomy(connector(), 4);
  static BaselinePool scarce(connector(), 1);
  return max_size == 1 ? scarce : roomy;
}

void BM_Pooled(benchmark::State& state) {
  auto& pool = pooled(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    chconn::Lease lease = pool.acquire();
    benchmark::DoNotOptimize(&lease.connection());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PooledManualClock(benchmark::State& state) {
  auto& pool = pooled_manual_clock();
  for (auto _ : state) {
    chconn::Lease lease = pool.acquire();
    benchmark::DoNotOptimize(&lease.connection());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Baseline(benchmark::State& state) {
  auto& pool = baseline(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto c = pool.acquire();
    benchmark::DoNotOptimize(c.get());
    pool.release(std::move(c));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Pooled)->ArgName("max_size")->Arg(4)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_PooledManualClock)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Baseline)->ArgName("max_size")->Arg(4)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Pooled)->ArgName("max_size")->Arg(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Baseline)->ArgName("max_size")->Arg(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
