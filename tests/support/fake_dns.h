// A DNS server on a loopback UDP port for the resolver's tests: it either never answers (silent)
// or answers A and AAAA questions from a fixed table of records with their TTLs, NXDOMAIN for names
// it does not know and an empty NOERROR answer for a known name without a record of the type asked.
// An answer larger than 512 bytes is sent truncated over UDP and whole over TCP on the same port.
// It counts the questions it receives, per name, so that tests see when the resolver asked.
//
// Point a chconn::net::Resolver at it with ResolverOptions::servers = {server.address()}, or a
// Config with dns_servers = {server.address()}.
//
// Thread safety: construct and destroy from one thread; the counters and set_mode() may be used
// from any thread while it runs. RAII: the destructor stops and joins its thread and closes the
// socket.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/config.h"

namespace chconn::test {

enum class DnsMode {
  silent,  // reads every question and never answers
  answer,  // answers from the records
};

struct DnsRecord {
  std::string name;     // as asked, without the trailing dot (compared case-insensitively)
  std::string address;  // an IPv4 (an A record) or IPv6 (AAAA) literal
  std::uint32_t ttl = 300;
};

struct FakeDnsOptions {
  DnsMode mode = DnsMode::answer;
  std::vector<DnsRecord> records;
  // Where to listen: an IPv4 loopback address (any of 127.0.0.0/8) and a port, 0 for a free one.
  // A resolv.conf names servers without a port, so a test that stands in for the system's DNS
  // server listens on port 53 of an address of its own.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

class FakeDnsServer {
 public:
  explicit FakeDnsServer(FakeDnsOptions options = {});
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  // The address and port it listens on.
  HostPort address() const { return HostPort{options_.host, port_}; }
  std::uint16_t port() const noexcept { return port_; }

  void set_mode(DnsMode mode) noexcept { mode_.store(mode); }

  // Questions received so far, in all, and for one name (any type).
  int queries() const noexcept { return queries_.load(); }
  int queries_for(const std::string& name) const;

 private:
  void run();
  std::string reply_to(const unsigned char* query, std::size_t length, bool truncated = false);

  FakeDnsOptions options_;
  int socket_ = -1;    // UDP
  int listener_ = -1;  // TCP, on the same port
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<DnsMode> mode_;
  std::atomic<int> queries_{0};
  mutable std::mutex mutex_;
  std::map<std::string, int> per_name_;  // lower-case name -> questions
  std::thread thread_;
};

}  // namespace chconn::test
