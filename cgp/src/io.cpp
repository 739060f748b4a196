#include "io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "util.h"

namespace cgp {

std::string expand_template(const std::string& pattern, long run) {
    std::string out;
    size_t i = 0;
    while (i < pattern.size()) {
        const char c = pattern[i];
        if (c != '{') {
            out += c;
            ++i;
            continue;
        }
        const size_t close = pattern.find('}', i + 1);
        if (close == std::string::npos)
            throw CgpError(kExitTemplate, pattern, 0, "unclosed '{' in file name template");
        const std::string name = pattern.substr(i + 1, close - i - 1);
        if (name == "run") out += std::to_string(run);
        i = close + 1;
    }
    return out;
}

bool is_stream_path(const std::string& path) {
    return path.empty() || path == "-" || path == "+" || path[0] == '#';
}

std::string read_text(const std::string& path, const std::string& what) {
    if (path == "-") {
        std::ostringstream s;
        s << std::cin.rdbuf();
        return s.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CgpError(kExitInvalidInput, path, 0, "cannot read " + what + ": " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Output::Output(const std::string& path, bool append) : path_(path) {
    if (path == "-" || path.empty()) {
        f_ = stdout;
    } else if (path == "+") {
        f_ = stderr;
    } else if (path[0] == '#') {
        f_ = nullptr;
    } else {
        f_ = std::fopen(path.c_str(), append ? "ab" : "wb");
        if (!f_) throw CgpError(kExitOther, path, 0, std::string("cannot write: ") + std::strerror(errno));
        owned_ = true;
    }
}

Output::Output(Output&& o) noexcept : f_(o.f_), owned_(o.owned_), path_(std::move(o.path_)) {
    o.f_ = nullptr;
    o.owned_ = false;
}

Output& Output::operator=(Output&& o) noexcept {
    if (this != &o) {
        close();
        f_ = o.f_;
        owned_ = o.owned_;
        path_ = std::move(o.path_);
        o.f_ = nullptr;
        o.owned_ = false;
    }
    return *this;
}

Output::~Output() { close(); }

void Output::write(const std::string& s) {
    if (!f_) return;
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size() || std::fflush(f_) != 0)
        throw CgpError(kExitOther, path_, 0, std::string("write failed: ") + std::strerror(errno));
}

void Output::close() {
    if (f_ && owned_) std::fclose(f_);
    f_ = nullptr;
    owned_ = false;
}

void write_atomic(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw CgpError(kExitOther, tmp, 0, std::string("cannot write: ") + std::strerror(errno));
    const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size() && std::fflush(f) == 0 &&
                    ::fsync(::fileno(f)) == 0;
    std::fclose(f);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw CgpError(kExitOther, path, 0, std::string("cannot write atomically: ") + std::strerror(errno));
    }
}

bool file_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int64_t file_size_or(const std::string& path, int64_t fallback) {
    struct stat st;
    if (is_stream_path(path) || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return fallback;
    return static_cast<int64_t>(st.st_size);
}

void truncate_to(const std::string& path, int64_t size) {
    if (size < 0 || is_stream_path(path)) return;
    if (!file_exists(path)) {
        if (size == 0) return;
        throw CgpError(kExitInvalidInput, path, 0, "file named in the checkpoint is missing; delete the checkpoint to start afresh");
    }
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
        throw CgpError(kExitOther, path, 0, std::string("cannot truncate: ") + std::strerror(errno));
}

}  // namespace cgp
