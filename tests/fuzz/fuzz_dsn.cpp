// Target: Config::from_dsn (and from_env with CLICKHOUSE_DSN) on arbitrary text.
//
// Input: one mode byte, then text.
//   bit 0 = 0  free mode: the text is the DSN
//   bit 0 = 1  planted mode: the DSN is SCHEME USER ':' PASSWORD '@' REST, where PASSWORD is one of
//              k_planted (bits 1-4 pick it; it holds every reserved character the DSN grammar
//              promises to keep inside a password, and bad escapes), SCHEME is picked by bits 5-6,
//              and USER and REST come from the text (USER up to the first '\n', without '?': a '?'
//              before the password followed later by '=' is documented to need percent-encoding)
// Properties:
//   * only chconn::Error of kind config escapes;
//   * planted mode: no error message (what(), with context, and the causes) and no redacted form
//     of a parsed Config (to_string, to_dsn(true)) contains the password or either half of it —
//     unless the fuzzer itself wrote that half into USER or REST;
//   * a parsed Config validates, and to_dsn(false) is a fixed point: from_dsn(to_dsn(false)) prints
//     the same DSN.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chconn/core/config.h"
#include "fuzz_common.h"

namespace {

using namespace chconn;

// The halves are distinctive so that their presence in a message can only be a leak.
constexpr std::string_view k_half1 = "Pl4nt3dQ";
constexpr std::string_view k_half2 = "Zx9S3cr3t";
constexpr std::array<std::string_view, 16> k_separators{"-", "/", "#",  "?",    "@",     "%40",    ":",  "%zz",
                                                        "%", " ", "\t", "&k=v", "/db?x", "%3F%3D", "@@", "%"};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// Percent-decodes what decodes and keeps the rest, so a half the fuzzer spelled with escapes in a
// non-secret part (which may legitimately be quoted decoded) is recognised as its own.
std::string lenient_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool fuzzer_wrote(std::string_view part, std::string_view half) {
  // Messages may show decoded text, and a control byte as \xNN: compare case-insensitively to
  // the raw and decoded forms.
  return contains_ci(part, half) || contains_ci(lenient_decode(part), half) ||
         contains_ci(lenient_decode(lenient_decode(part)), half);
}

struct Secret {
  std::string password;
  bool check_half1 = true;
  bool check_half2 = true;
};

void check_text(std::string_view text, const Secret& secret, std::string_view where) {
  if ((secret.check_half1 && contains_ci(text, k_half1)) || (secret.check_half2 && contains_ci(text, k_half2))) {
    fuzz::fail(std::string(where) + " shows the password: " + std::string(text.substr(0, 600)));
  }
}

void check_error(const Error& e, const std::optional<Secret>& secret, std::string_view where) {
  if (e.kind() != ErrorKind::config) fuzz::fail(std::string(where) + " threw a non-config error: " + e.what());
  if (!secret) return;
  for (const Error* x = &e; x != nullptr; x = x->cause()) {
    check_text(x->what(), *secret, where);
    check_text(x->message(), *secret, where);
  }
}

void check_config(const Config& c, const std::optional<Secret>& secret) {
  try {
    c.validate();
  } catch (const Error& e) {
    fuzz::fail(std::string("from_dsn returned a Config that does not validate: ") + e.what());
  }
  if (secret) {
    check_text(c.to_string(), *secret, "Config::to_string");
    check_text(c.to_dsn(true), *secret, "Config::to_dsn(true)");
    if (!contains_ci(c.password, k_half1) && !contains_ci(c.password, k_half2) && secret->check_half1 &&
        secret->check_half2) {
      // The planted password was taken for something else than the password.
      fuzz::fail("the planted password did not end up in Config::password (got a password of " +
                 std::to_string(c.password.size()) + " bytes)");
    }
  }
  const std::string dsn = c.to_dsn(false);
  std::string again;
  try {
    again = Config::from_dsn(dsn).to_dsn(false);
  } catch (const Error& e) {
    if (!secret) fuzz::fail("to_dsn(false) does not parse back: " + std::string(e.what()) + " for " + dsn);
    fuzz::fail(std::string("to_dsn(false) does not parse back: ") + e.what());
  }
  if (again != dsn) fuzz::fail("from_dsn(to_dsn(false)) prints differently: " + dsn + " became " + again);
}

void run(std::string_view dsn, const std::optional<Secret>& secret) {
  fuzz::expect_only_chconn_errors(
      [&] {
        const Config c = Config::from_dsn(dsn);
        check_config(c, secret);
      },
      [&](const Error& e) {
        check_error(e, secret, "from_dsn");
        return true;
      });
  fuzz::expect_only_chconn_errors(
      [&] {
        (void)Config::from_env([&](std::string_view name) -> std::optional<std::string> {
          if (name == "CLICKHOUSE_DSN") return std::string(dsn);
          return std::nullopt;
        });
      },
      [&](const Error& e) {
        check_error(e, secret, "from_env(CLICKHOUSE_DSN)");
        return true;
      });
}

}  // namespace

// Real DSNs are short. parse_query takes time quadratic in the number of parameters (each is
// checked against all earlier ones; 2000 setting.NAME parameters take seconds under ASan), which
// is known and reported, so longer inputs would only produce timeouts.
constexpr std::size_t k_max_dsn_bytes = 16 * 1024;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > k_max_dsn_bytes) return 0;
  fuzz::Input input(data, size);
  const std::uint8_t mode = input.byte();
  if (!(mode & 1)) {
    const auto rest = input.rest();
    run(std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()), std::nullopt);
    return 0;
  }

  static constexpr std::array<std::string_view, 4> k_schemes{"clickhouse://", "tcp://", "ClickHouse://", "TCP://"};
  const std::string_view scheme = k_schemes[(mode >> 5) & 3];
  std::string user(input.until('\n'));
  std::erase(user, '?');
  const auto rest_bytes = input.rest();
  const std::string_view rest(reinterpret_cast<const char*>(rest_bytes.data()), rest_bytes.size());

  Secret secret;
  secret.password = std::string(k_half1) + std::string(k_separators[(mode >> 1) & 15]) + std::string(k_half2);
  const std::string fuzzed = user + "\n" + std::string(rest);
  secret.check_half1 = !fuzzer_wrote(fuzzed, k_half1);
  secret.check_half2 = !fuzzer_wrote(fuzzed, k_half2);
  const std::string dsn = std::string(scheme) + user + ":" + secret.password + "@" + std::string(rest);
  run(dsn, secret);
  return 0;
}
