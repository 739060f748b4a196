// File conventions of the original (spec §3.9): `-` stdin/stdout, `+` stderr, a leading `#`
// discards output, `{run}` templates; plus atomic writes and truncation for checkpoints.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace cgp {

// Replaces `{run}` by `run`; other `{name}` placeholders become empty (as the original).
// An unclosed `{` throws CgpError with exit code 42.
std::string expand_template(const std::string& pattern, long run);

bool is_stream_path(const std::string& path);  // "-", "+", "", or a discarded "#..." path

// Reads a whole file ("-" = stdin). Missing/unreadable → CgpError 44 naming `what`.
std::string read_text(const std::string& path, const std::string& what);

// An output destination following the path conventions.
class Output {
  public:
    Output() = default;
    Output(const std::string& path, bool append);
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    Output(Output&& o) noexcept;
    Output& operator=(Output&& o) noexcept;
    ~Output();
    void write(const std::string& s);  // written and flushed at once
    void close();

  private:
    FILE* f_ = nullptr;
    bool owned_ = false;
    std::string path_;
};

// Writes `content` to `path` via a temporary file in the same directory and rename(2).
void write_atomic(const std::string& path, const std::string& content);
bool file_exists(const std::string& path);
int64_t file_size_or(const std::string& path, int64_t fallback);
void truncate_to(const std::string& path, int64_t size);

}  // namespace cgp
