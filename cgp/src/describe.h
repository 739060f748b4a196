// The engine describes itself: commands, config keys, exit codes, statistics columns and the
// function set, as JSON (`cgp describe --json`) for the Python side, which builds its option
// table from it, and as text (`cgp describe`, `cgp --help`) for people.
#pragma once

#include <string>
#include <vector>

namespace cgp {

struct CommandInfo {
    const char* name;
    const char* positional;  // "" when the command takes none after the config
    const char* help;
};
const std::vector<CommandInfo>& engine_commands();
bool is_engine_command(const std::string& name);  // the commands that take a config

struct ExitCodeInfo {
    int code;
    const char* name;
    const char* meaning;
};
const std::vector<ExitCodeInfo>& exit_codes();

// Columns of every statistics CSV (train, evaluate:chromosomes, evaluate:all), in order.
const std::vector<const char*>& statistics_columns();

std::string describe_json();
std::string describe_text();
std::string usage_text();

}  // namespace cgp
