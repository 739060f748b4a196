#include "util.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cgp {

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r\n\v\f";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start <= text.size()) {
        const auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) {
            if (start < text.size()) lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

bool parse_int64(std::string_view s, int64_t& out) {
    s = trim(s);
    if (s.empty()) return false;
    if (s.front() == '+') s.remove_prefix(1);
    const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
    return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parse_uint64(std::string_view s, uint64_t& out) {
    s = trim(s);
    if (s.empty() || s.front() == '-') return false;
    if (s.front() == '+') s.remove_prefix(1);
    const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
    return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
    s = trim(s);
    if (s.empty()) return false;
    std::string_view body = s;
    bool negative = false;
    if (body.front() == '+' || body.front() == '-') {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    auto lower_eq = [](std::string_view a, const char* b) {
        size_t i = 0;
        for (; b[i]; ++i) {
            if (i >= a.size()) return false;
            char c = a[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (c != b[i]) return false;
        }
        return i == a.size();
    };
    if (lower_eq(body, "inf") || lower_eq(body, "infinity")) {
        out = negative ? -INFINITY : INFINITY;
        return true;
    }
    if (lower_eq(body, "nan")) {
        out = NAN;
        return true;
    }
    if (body.empty() || !((body.front() >= '0' && body.front() <= '9') || body.front() == '.'))
        return false;
    const auto res = std::from_chars(body.data(), body.data() + body.size(), out);
    if (res.ec != std::errc() || res.ptr != body.data() + body.size()) return false;
    if (negative) out = -out;
    return true;
}

std::string format_g12(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return buf;
}

std::string format_shortest(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

uint64_t fnv1a(std::string_view data, uint64_t h) {
    for (unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace cgp
