#include "describe.h"

#include <cmath>
#include <sstream>

#include "config.h"
#include "functions.h"
#include "util.h"

namespace cgp {

const std::vector<CommandInfo>& engine_commands() {
    static const std::vector<CommandInfo> commands = {
        {"train", "", "evolve number_of_runs circuits; resumes from checkpoint_file when one exists"},
        {"evaluate:chromosome", "CHROMOSOME",
         "evaluate one chromosome (text or @file): statistics row and summary to output_file, weights to train_weights_file"},
        {"evaluate:chromosomes", "GATE_STATISTICS_TEMPLATE",
         "evaluate every chromosome line of cgp_statistics_file: rows to output_file, weights and a gate histogram per line"},
        {"evaluate:all", "",
         "re-evaluate every statistics row with a chromosome of every run: rows to output_file, weights to train_weights_file"},
    };
    return commands;
}

bool is_engine_command(const std::string& name) {
    for (const auto& c : engine_commands())
        if (name == c.name) return true;
    return false;
}

const std::vector<ExitCodeInfo>& exit_codes() {
    static const std::vector<ExitCodeInfo> codes = {
        {kExitOk, "ok", "success"},
        {kExitZeroCount, "zero_count", "input_count or output_count is 0"},
        {kExitNoCommand, "no_command", "no command given"},
        {kExitNoConfig, "no_config", "no config file, or unknown command"},
        {kExitMissingPositional, "missing_positional", "missing positional argument (chromosome or gate statistics template)"},
        {kExitInterrupted, "interrupted", "stopped by SIGTERM/SIGINT after writing the checkpoint; rerun to resume"},
        {kExitTemplate, "template", "file name template error"},
        {kExitOther, "other", "other error (write failure, out of memory)"},
        {kExitInvalidInput, "invalid_input", "invalid input: config, flag, data, chromosome, gate file, checkpoint"},
    };
    return codes;
}

const std::vector<const char*>& statistics_columns() {
    static const std::vector<const char*> columns = {
        "run", "generation", "timestamp", "error", "quantized_energy", "energy", "area",
        "quantized_delay", "delay", "depth", "gate_count", "chromosome",
    };
    return columns;
}

namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const unsigned char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (ch < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                    out += buf;
                } else {
                    out += static_cast<char>(ch);
                }
        }
    }
    return out + "\"";
}

std::string json_bound(double v) { return std::isnan(v) ? "null" : format_shortest(v); }

bool is_numeric(KeyKind k) { return k == KeyKind::Int || k == KeyKind::UInt || k == KeyKind::Error || k == KeyKind::Float; }

std::string json_default(const KeyDescription& d) {
    if (!d.has_default) return "null";
    return is_numeric(d.kind) ? d.default_text : json_string(d.default_text);
}

std::string range_text(const KeyDescription& d) {
    if (!d.choices.empty()) {
        std::string s;
        for (const auto& c : d.choices) s += (s.empty() ? "" : "|") + c;
        return s;
    }
    if (std::isnan(d.min) && std::isnan(d.max)) return "";
    return "[" + (std::isnan(d.min) ? std::string("-inf") : format_shortest(d.min)) + ", " +
           (std::isnan(d.max) ? std::string("inf") : format_shortest(d.max)) + "]";
}

}  // namespace

std::string describe_json() {
    std::ostringstream o;
    o << "{\n  \"format\": 1,\n  \"usage\": " << json_string("cgp <command> <config> [positional] [--flag value ...]")
      << ",\n  \"commands\": [";
    bool first = true;
    for (const auto& c : engine_commands()) {
        o << (first ? "\n" : ",\n") << "    {\"name\": " << json_string(c.name)
          << ", \"positional\": " << (c.positional[0] ? json_string(c.positional) : "null") << ", \"help\": " << json_string(c.help)
          << "}";
        first = false;
    }
    o << "\n  ],\n  \"keys\": [";
    first = true;
    for (const auto& d : describe_keys()) {
        o << (first ? "\n" : ",\n") << "    {\"name\": " << json_string(d.key) << ", \"type\": " << json_string(kind_name(d.kind))
          << ", \"default\": " << json_default(d) << ", \"min\": " << json_bound(d.min) << ", \"max\": " << json_bound(d.max)
          << ", \"choices\": [";
        for (size_t i = 0; i < d.choices.size(); ++i) o << (i ? ", " : "") << json_string(d.choices[i]);
        o << "], \"command_line_only\": " << (d.command_line_only ? "true" : "false")
          << ", \"flag\": " << (d.long_flag.empty() ? "null" : json_string(d.long_flag))
          << ", \"short_flag\": " << (d.short_flag.empty() ? "null" : json_string(d.short_flag))
          << ", \"help\": " << json_string(d.help) << "}";
        first = false;
    }
    o << "\n  ],\n  \"switches\": [\n    {\"flag\": \"--progress\", \"help\": "
      << json_string("machine-readable PROGRESS {json} lines on stderr, at most two a second") << "}\n  ],\n";
    o << "  \"exit_codes\": [";
    first = true;
    for (const auto& e : exit_codes()) {
        o << (first ? "\n" : ",\n") << "    {\"code\": " << e.code << ", \"name\": " << json_string(e.name)
          << ", \"meaning\": " << json_string(e.meaning) << "}";
        first = false;
    }
    o << "\n  ],\n  \"statistics_columns\": [";
    first = true;
    for (const char* c : statistics_columns()) {
        o << (first ? "" : ", ") << json_string(c);
        first = false;
    }
    o << "],\n  \"functions\": [";
    first = true;
    for (const auto& f : kFunctionSet) {
        o << (first ? "\n" : ",\n") << "    {\"id\": " << f.id << ", \"name\": " << json_string(f.name)
          << ", \"arity\": " << (f.arity < 0 ? std::string("null") : std::to_string(f.arity))
          << ", \"semantics\": " << json_string(f.semantics) << "}";
        first = false;
    }
    o << "\n  ]\n}\n";
    return o.str();
}

std::string usage_text() {
    std::ostringstream o;
    o << "usage: cgp <command> <config> [positional] [--flag value ...]\n"
         "       cgp describe [--json]     config keys, exit codes, statistics columns, function set\n"
         "       cgp --help\n\ncommands:\n";
    for (const auto& c : engine_commands()) {
        std::string head = std::string(c.name) + (c.positional[0] ? std::string(" ") + c.positional : "");
        o << "  " << head << (head.size() < 34 ? std::string(34 - head.size(), ' ') : "\n" + std::string(36, ' ')) << c.help
          << "\n";
    }
    o << "\nEvery config key can also be given as a flag (--mutation-max 0.1); flags override the file.\n"
         "--progress prints machine-readable progress on stderr. `cgp describe` lists every key.\n\nexit codes:\n";
    for (const auto& e : exit_codes()) o << "  " << e.code << (e.code < 10 ? "   " : "  ") << e.meaning << "\n";
    return o.str();
}

std::string describe_text() {
    std::ostringstream o;
    o << usage_text() << "\nconfig keys (key, flag, type, default, range; * = command line only):\n";
    for (const auto& d : describe_keys()) {
        std::string flags = d.long_flag + (d.short_flag.empty() ? "" : ", " + d.short_flag);
        o << "  " << d.key << (d.command_line_only ? "*" : "") << "  " << flags << "  " << kind_name(d.kind) << "  default "
          << (d.has_default ? (d.default_text.empty() ? "\"\"" : d.default_text) : "unset");
        const std::string r = range_text(d);
        if (!r.empty()) o << "  " << r;
        o << "\n      " << d.help << "\n";
    }
    o << "\nstatistics columns: ";
    bool first = true;
    for (const char* c : statistics_columns()) {
        o << (first ? "" : ",") << c;
        first = false;
    }
    o << "\n\nfunction set (int8: + - * << wrap, >> is arithmetic):\n";
    for (const auto& f : kFunctionSet) o << "  " << f.id << "  " << f.name << "  " << f.semantics << "\n";
    return o.str();
}

}  // namespace cgp
