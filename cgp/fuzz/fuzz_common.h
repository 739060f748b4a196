// Shared checks for the parser fuzz targets: a parser may only fail with CgpError, and its
// message must be one line (main() prints it as `cgp: <file>:<line>: <what>`).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "util.h"

namespace cgp_fuzz {

// Aborts (a libFuzzer finding) when a property the engine promises does not hold.
// Control bytes are escaped so the report shows exactly what the parser saw.
inline std::string escaped(const std::string& s) {
    std::string out;
    for (const unsigned char c : s) {
        if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

[[noreturn]] inline void violated(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz property violated: %s: %s\n", what, escaped(detail).c_str());
    std::abort();
}

inline void check_error(const cgp::CgpError& e, int expected_code) {
    if (e.code != expected_code) violated("unexpected exit code", std::to_string(e.code) + " for " + e.what());
    if (e.message.empty()) violated("empty error message", e.what());
    const std::string line = e.source + ":" + std::to_string(e.line) + ": " + e.message;
    if (line.find('\n') != std::string::npos) violated("error message spans several lines", line);
    if (e.line < 0) violated("negative line number", line);
}

}  // namespace cgp_fuzz
