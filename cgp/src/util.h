// Small shared helpers: the error type that carries "file:line: what" and an exit code,
// number parsing that rejects garbage instead of reading a prefix, and number formatting.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cgp {

// Exit codes, documented in cgp/README.md and docs/architecture.md.
enum ExitCode : int {
    kExitOk = 0,
    kExitZeroCount = 2,
    kExitNoCommand = 12,
    kExitNoConfig = 13,
    kExitMissingPositional = 14,
    kExitInterrupted = 33,
    kExitTemplate = 42,
    kExitOther = 43,
    kExitInvalidInput = 44,
};

// Every user-facing failure is one of these: main() prints `cgp: <source>:<line>: <message>`
// and exits with `code`. Parsers throw it so that fuzzers and tests can call them in-process.
struct CgpError : std::runtime_error {
    int code;
    std::string source;
    long line;
    std::string message;
    CgpError(int code_, std::string source_, long line_, std::string message_)
        : std::runtime_error(source_ + ":" + std::to_string(line_) + ": " + message_),
          code(code_), source(std::move(source_)), line(line_), message(std::move(message_)) {}
};

[[noreturn]] inline void invalid(const std::string& source, long line, const std::string& what) {
    throw CgpError(kExitInvalidInput, source, line, what);
}

std::string_view trim(std::string_view s);
std::vector<std::string_view> split_lines(std::string_view text);

// Strict parsers: the whole token must be consumed. They return false on failure.
bool parse_int64(std::string_view s, int64_t& out);
bool parse_uint64(std::string_view s, uint64_t& out);
bool parse_double(std::string_view s, double& out);  // accepts inf/nan

// %.12g-like formatting as the original's ostream precision(12); inf/nan spelled "inf"/"nan".
std::string format_g12(double v);
// Shortest text that reads back to the same double (for the config dump).
std::string format_shortest(double v);

// Deterministic 64-bit mixing (splitmix64 finaliser): seeds per run and per offspring.
inline uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// xoshiro256**: fast, good 64-bit generator; its whole state is derived from one seed.
struct Rng {
    uint64_t s[4];
    explicit Rng(uint64_t seed = 0) { reseed(seed); }
    void reseed(uint64_t seed) {
        for (auto& w : s) {
            seed = mix64(seed);
            w = seed;
        }
    }
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next() {
        const uint64_t result = rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
    // Uniform in [0, n) by multiply-shift; n must be > 0.
    uint64_t below(uint64_t n) {
        return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
};

// x / d for 32-bit x by one multiplication (Lemire, Kaser, Kurz 2019: with m = ceil(2^64 / d),
// floor(m x / 2^64) = floor(x / d) for every 32-bit x). Hot loops divide gene indices by the
// node block and node indices by the rows; a hardware division there costs more than the rest.
struct FastDiv {
    uint64_t m = 0;
    uint32_t d = 1;
    FastDiv() = default;
    explicit FastDiv(uint32_t divisor) : m(divisor > 1 ? UINT64_MAX / divisor + 1 : 0), d(divisor) {}
    uint32_t div(uint32_t x) const {
        return d == 1 ? x : static_cast<uint32_t>((static_cast<unsigned __int128>(m) * x) >> 64);
    }
};

inline uint64_t sat_add(uint64_t a, uint64_t b) {
    const uint64_t c = a + b;
    return c < a ? UINT64_MAX : c;
}

uint64_t fnv1a(std::string_view data, uint64_t h = 1469598103934665603ULL);

}  // namespace cgp
