// Compression framing: CityHash128 checksums, and encoding / decoding 1 MiB frames of block-like
// data with each method. Throughput is of uncompressed bytes.
//
//   build/<dir>/bench/compression_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <lz4.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "chconn/wire/detail/compression.h"
#include "chconn/wire/io.h"
#include "wire/cityhash.h"
#include "wire/lz4.h"

namespace {

using chconn::Compression;
using namespace chconn::wire;

constexpr std::size_t k_mib = std::size_t{1} << 20;

// A block as the server sends one: a UInt64 column (a counter, like an id), then a String column of
// e-mail-like values, each a varint length and bytes. LZ4 gets about 3:1 on it, like real data.
std::vector<std::uint8_t> realistic_block(std::size_t n) {
  std::vector<std::uint8_t> out;
  out.reserve(n + 64);
  const std::size_t rows = n / 32;
  for (std::uint64_t v = 1'000'000; out.size() < rows * 8; ++v) {
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
  }
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  while (out.size() < n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const std::string s = "user_" + std::to_string(state % 1'000'000) + "@example.com";
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  out.resize(n);
  return out;
}

const std::vector<std::uint8_t>& block() {
  static const auto b = realistic_block(k_mib);
  return b;
}

// Replays one encoded stream forever, in chunks of at most `chunk` bytes, like a socket that keeps
// delivering the same frames; lets one CompressedSource decode frame after frame.
class ReplaySource final : public ByteSource {
 public:
  ReplaySource(std::span<const std::uint8_t> data, std::size_t chunk) : data_(data), chunk_(chunk) {}
  std::span<const std::uint8_t> next() override {
    if (pos_ == data_.size()) pos_ = 0;
    const std::size_t n = std::min(chunk_, data_.size() - pos_);
    const auto view = data_.subspan(pos_, n);
    pos_ += n;
    return view;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

void BM_CityHash128(benchmark::State& state) {
  const auto& data = block();
  for (auto _ : state) {
    benchmark::DoNotOptimize(city_hash128(data.data(), data.size()));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_CityHash128);

void BM_Encode(benchmark::State& state) {
  const auto method = static_cast<Compression>(state.range(0));
  const auto& data = block();
  FrameEncoder encoder(method);
  Writer out;
  for (auto _ : state) {
    out.clear();
    encoder.encode(out, data);
    benchmark::DoNotOptimize(out.data().data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.counters["ratio"] = static_cast<double>(data.size()) / static_cast<double>(out.size());
  state.SetLabel(std::string(to_string(method)));
}
BENCHMARK(BM_Encode)
    ->Arg(static_cast<int>(Compression::none))
    ->Arg(static_cast<int>(Compression::lz4))
    ->Arg(static_cast<int>(Compression::zstd));

// One 1 MiB frame decoded per iteration: header, checksum, decompression. Arg 1 is the size of the
// chunks the transport hands over: a whole frame at once (decoded in place) or 64 KiB pieces (copied
// into the reusable buffer first).
void BM_Decode(benchmark::State& state) {
  const auto method = static_cast<Compression>(state.range(0));
  const auto chunk = static_cast<std::size_t>(state.range(1));
  const auto& data = block();
  Writer encoded;
  compress_frames(encoded, data, method);
  ReplaySource replay(encoded.data(), chunk);
  Reader raw(replay);
  CompressedSource frames(raw);
  for (auto _ : state) {
    const auto view = frames.next();
    if (view.size() != data.size()) {
      state.SkipWithError("frame decoded to the wrong size");
      break;
    }
    benchmark::DoNotOptimize(view.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.SetLabel(std::string(to_string(method)) + (chunk >= encoded.size() ? " in place" : " 64KiB chunks"));
}
BENCHMARK(BM_Decode)->ArgsProduct({{static_cast<int>(Compression::none), static_cast<int>(Compression::lz4),
                                    static_cast<int>(Compression::zstd)},
                                   {64 << 10, 4 << 20}});

// A UInt64 counter column, the shape of `SELECT number`: LZ4 makes a sequence of every 8 bytes.
std::vector<std::uint8_t> counter_block(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    const std::uint64_t v = 1'000'000 + i / 8;
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}

// One LZ4 block of 1 MiB decoded per iteration: arg 0 is the decoder (0 chconn's, 1 liblz4's
// LZ4_decompress_safe), arg 1 the data (0 the counter column, 1 the realistic block above).
void BM_Lz4Block(benchmark::State& state) {
  const bool reference = state.range(0) == 1;
  const auto plain = state.range(1) == 0 ? counter_block(k_mib) : block();
  std::vector<std::uint8_t> packed(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(plain.size()))));
  const int packed_size =
      LZ4_compress_default(reinterpret_cast<const char*>(plain.data()), reinterpret_cast<char*>(packed.data()),
                           static_cast<int>(plain.size()), static_cast<int>(packed.size()));
  packed.resize(static_cast<std::size_t>(packed_size));
  std::vector<std::uint8_t> out(plain.size() + detail::k_lz4_output_slack);
  for (auto _ : state) {
    std::size_t n = 0;
    if (reference) {
      n = static_cast<std::size_t>(LZ4_decompress_safe(reinterpret_cast<const char*>(packed.data()),
                                                       reinterpret_cast<char*>(out.data()), packed_size,
                                                       static_cast<int>(plain.size())));
    } else {
      n = detail::lz4_decompress(packed, out.data(), plain.size()).size;
    }
    if (n != plain.size()) {
      state.SkipWithError("decoded to the wrong size");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plain.size()));
  state.SetLabel(std::string(reference ? "liblz4" : "chconn") + (state.range(1) == 0 ? " counter" : " realistic"));
}
BENCHMARK(BM_Lz4Block)->ArgsProduct({{0, 1}, {0, 1}});

// One ZSTD frame of 1 MiB decoded per iteration with libzstd's ZSTD_decompressDCtx and one reused
// context, as CompressedSource decodes a 0x90 frame: arg 0 is the data (0 the counter column, 1
// the realistic block), compressed at level 1 as the server does (network_zstd_compression_level).
// On the counter column this is the floor of a compressed `SELECT number` read with ZSTD: nearly
// every sequence copies a match at offset 8 that the sequence before just wrote, so the decoder
// waits on store forwarding once per value.
void BM_ZstdBlock(benchmark::State& state) {
  const auto plain = state.range(0) == 0 ? counter_block(k_mib) : block();
  std::vector<std::uint8_t> packed(ZSTD_compressBound(plain.size()));
  const std::size_t packed_size = ZSTD_compress(packed.data(), packed.size(), plain.data(), plain.size(), 1);
  if (ZSTD_isError(packed_size)) {
    state.SkipWithError("ZSTD_compress failed");
    return;
  }
  packed.resize(packed_size);
  std::vector<std::uint8_t> out(plain.size());
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  for (auto _ : state) {
    const std::size_t n = ZSTD_decompressDCtx(ctx, out.data(), out.size(), packed.data(), packed.size());
    if (n != plain.size()) {
      state.SkipWithError("decoded to the wrong size");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  ZSTD_freeDCtx(ctx);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plain.size()));
  state.counters["ratio"] = static_cast<double>(plain.size()) / static_cast<double>(packed.size());
  state.SetLabel(state.range(0) == 0 ? "libzstd counter" : "libzstd realistic");
}
BENCHMARK(BM_ZstdBlock)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
