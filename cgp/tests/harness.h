// A minimal test harness: TEST(name) registers a function; CHECK records failures with the
// file and line and keeps going; the runner returns non-zero if anything failed.
#pragma once

#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace th {

struct Test {
    const char* name;
    std::function<void()> fn;
};

inline std::vector<Test>& registry() {
    static std::vector<Test> tests;
    return tests;
}

inline int& failures() {
    static int n = 0;
    return n;
}

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

inline void fail(const char* file, int line, const std::string& what) {
    ++failures();
    std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

template <typename A, typename B>
std::string describe_pair(const A& a, const B& b) {
    std::ostringstream s;
    s << "got [" << a << "] expected [" << b << "]";
    return s.str();
}

// Scratch directory for file-based tests, removed by the runner.
std::string temp_dir();
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

}  // namespace th

#define TH_CAT2(a, b) a##b
#define TH_CAT(a, b) TH_CAT2(a, b)
#define TEST(name)                                                              \
    static void name();                                                         \
    static th::Registrar TH_CAT(registrar_, name)(#name, name);                 \
    static void name()

#define CHECK(cond)                                          \
    do {                                                     \
        if (!(cond)) th::fail(__FILE__, __LINE__, #cond);    \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        const auto& th_a = (a);                                                                    \
        const auto& th_b = (b);                                                                    \
        if (!(th_a == th_b)) th::fail(__FILE__, __LINE__, std::string(#a " == " #b ": ") + th::describe_pair(th_a, th_b)); \
    } while (0)

// Expects `stmt` to throw cgp::CgpError with `code` and a message containing `needle`.
#define CHECK_ERROR(stmt, code_, needle)                                                              \
    do {                                                                                              \
        bool th_thrown = false;                                                                       \
        try {                                                                                         \
            stmt;                                                                                     \
        } catch (const cgp::CgpError& e) {                                                            \
            th_thrown = true;                                                                         \
            if (e.code != (code_)) th::fail(__FILE__, __LINE__, "code " + std::to_string(e.code) + " for: " + e.what()); \
            if (std::string(e.what()).find(needle) == std::string::npos)                              \
                th::fail(__FILE__, __LINE__, std::string("message lacks '") + (needle) + "': " + e.what()); \
        }                                                                                             \
        if (!th_thrown) th::fail(__FILE__, __LINE__, "no CgpError from: " #stmt);                     \
    } while (0)
