// Micro-benchmarks of the resilience layer: the cost a breaker, a retry budget and error decay add
// to every call. Figures are reported, never asserted.
//
//   build/<dir>/bench/resilience_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <chrono>

#include "chconn/core/clock.h"
#include "chconn/resilience/circuit_breaker.h"
#include "chconn/resilience/error_decay.h"
#include "chconn/resilience/retry.h"

namespace {

using namespace std::chrono_literals;

chconn::CircuitBreaker& shared_breaker(chconn::WindowType type) {
  static chconn::CircuitBreaker time_based({.name = "bench-time", .window_type = chconn::WindowType::time_based});
  static chconn::CircuitBreaker count_based({.name = "bench-count", .window_type = chconn::WindowType::count_based});
  return type == chconn::WindowType::time_based ? time_based : count_based;
}

// The hot path of a healthy host: permit, call, record success. Real steady clock.
void BM_BreakerAcquireSuccess(benchmark::State& state) {
  auto& breaker = shared_breaker(static_cast<chconn::WindowType>(state.range(0)));
  for (auto _ : state) {
    auto permit = breaker.try_acquire_permit();
    benchmark::DoNotOptimize(permit);
    permit->on_success(1ms);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BreakerAcquireSuccess)
    ->ArgName("time_based")
    ->Arg(static_cast<int>(chconn::WindowType::time_based))
    ->Arg(static_cast<int>(chconn::WindowType::count_based))
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// The bool API: try_acquire() + on_success().
void BM_BreakerBoolApi(benchmark::State& state) {
  static chconn::CircuitBreaker breaker({.name = "bench-bool"});
  for (auto _ : state) {
    benchmark::DoNotOptimize(breaker.try_acquire());
    breaker.on_success(1ms);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BreakerBoolApi)->Threads(1)->Threads(2)->UseRealTime();

// A refused call: what an open breaker costs a caller (no error object built).
chconn::CircuitBreaker& open_breaker() {
  static chconn::CircuitBreaker breaker({.name = "bench-open"});
  static const bool opened = (breaker.force_open(), true);
  (void)opened;
  return breaker;
}

void BM_BreakerRefused(benchmark::State& state) {
  auto& breaker = open_breaker();
  for (auto _ : state) benchmark::DoNotOptimize(breaker.try_acquire_permit());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BreakerRefused)->Threads(1)->Threads(2)->UseRealTime();

void BM_RetryBudget(benchmark::State& state) {
  static chconn::RetryBudget budget;
  for (auto _ : state) {
    budget.record_request();
    benchmark::DoNotOptimize(budget.try_acquire_retry());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RetryBudget)->Threads(1)->Threads(2)->UseRealTime();

void BM_ErrorDecayRecordAndSnapshot(benchmark::State& state) {
  static chconn::ErrorDecay decay(8);
  std::size_t host = 0;
  for (auto _ : state) {
    decay.record_error(host++ % 8);
    benchmark::DoNotOptimize(decay.count(host % 8));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ErrorDecayRecordAndSnapshot)->Threads(1)->Threads(2)->UseRealTime();

void BM_BackoffDraw(benchmark::State& state) {
  static const chconn::RetryPolicy policy({.random_seed = 1});
  int attempt = 0;
  for (auto _ : state) benchmark::DoNotOptimize(policy.backoff(attempt++ % 3 + 1));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BackoffDraw)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
