// Runs every registered test; exit status 1 if any check failed.
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness.h"

namespace th {

std::string temp_dir() {
    static std::string dir;
    if (dir.empty()) {
        char tmpl[] = "/tmp/cgp-unit-XXXXXX";
        const char* made = mkdtemp(tmpl);
        dir = made ? made : "/tmp";
    }
    return dir;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

}  // namespace th

int main(int argc, char** argv) {
    const std::string only = argc > 1 ? argv[1] : "";
    int run = 0;
    for (const auto& t : th::registry()) {
        if (!only.empty() && only != t.name) continue;
        const int before = th::failures();
        std::fprintf(stderr, "%s ...\n", t.name);
        try {
            t.fn();
        } catch (const std::exception& e) {
            th::fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
        }
        ++run;
        if (th::failures() != before) std::fprintf(stderr, "%s FAILED\n", t.name);
    }
    const std::string cleanup = "rm -rf '" + th::temp_dir() + "'";
    if (th::temp_dir() != "/tmp" && std::system(cleanup.c_str()) != 0) std::fprintf(stderr, "cleanup failed\n");
    std::fprintf(stderr, "%d tests, %d failed checks\n", run, th::failures());
    return th::failures() == 0 ? 0 : 1;
}
