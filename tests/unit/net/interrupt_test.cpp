// net::Interrupt and Stream::set_interrupt: a read waiting for a silent peer wakes when the
// Interrupt is triggered from another thread, throws Error(cancelled) having consumed nothing, and
// the stream then still reads and writes (TCP, and TLS through its transport). The bound on the
// wake is generous (a tenth of the read's 30 s deadline); without the Interrupt the read would wait
// all 30 s.
#include "chconn/net/interrupt.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "chconn/core/error.h"
#include "chconn/net/stream.h"
#include "chconn/net/tcp.h"
#include "chconn/net/tls.h"
#include "support/expect_error.h"
#include "support/net_loopback.h"
#include "support/net_tls.h"

namespace chconn::net {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr auto k_wait = 30s;
constexpr auto k_bound = 3s;

const test::TestPki& pki() {
  static const test::TestPki instance = test::TestPki::create();
  return instance;
}

// The peer echoes but is sent nothing, so the read waits until the Interrupt is triggered 50 ms in;
// afterwards the stream carries an echo as before.
void expect_interrupted_then_usable(Stream& stream) {
  Interrupt interrupt;
  stream.set_interrupt(&interrupt);
  std::thread trigger([&] {
    std::this_thread::sleep_for(50ms);
    interrupt.trigger();
  });
  char buf[16];
  const auto start = Steady::now();
  expect_error(ErrorKind::cancelled, [&] { (void)stream.read_some(buf, sizeof buf, Deadline::after(k_wait)); });
  trigger.join();
  EXPECT_LT(Steady::now() - start, k_bound);
  EXPECT_TRUE(interrupt.triggered());
  // Still triggered: the next wait ends at once too.
  EXPECT_THROW((void)stream.read_some(buf, sizeof buf, Deadline::after(k_wait)), Error);
  interrupt.clear();
  EXPECT_FALSE(interrupt.triggered());
  stream.set_interrupt(nullptr);
  stream.write_all("abc", 3, Deadline::after(5s));
  std::string back;
  while (back.size() < 3) {
    const std::size_t n = stream.read_some(buf, sizeof buf, Deadline::after(5s));
    ASSERT_GT(n, 0U);
    back.append(buf, n);
  }
  EXPECT_EQ(back, "abc");
}

TEST(NetInterrupt, WakesATcpReadAndLeavesTheStreamUsable) {
  test::LoopbackServer server({.mode = test::ServerMode::echo});
  auto stream = connect_tcp(server.host(), server.port(), {}, Deadline::after(10s));
  expect_interrupted_then_usable(*stream);
}

TEST(NetInterrupt, WakesATlsReadAndLeavesTheStreamUsable) {
  test::TlsEchoServer server({.identity = pki().server});
  TlsOptions tls;
  tls.ca_file = pki().ca.cert;
  auto stream = connect_tls("127.0.0.1", server.port(), {}, tls, Deadline::after(10s));
  expect_interrupted_then_usable(*stream);
}

}  // namespace
}  // namespace chconn::net
