#include "config.h"

#include <cstdio>
#include <functional>
#include <sstream>

#include "util.h"

namespace cgp {

namespace {

struct KeyDef {
    const char* key;
    const char* long_flag;   // nullptr: not settable from the command line
    const char* short_flag;  // nullptr: no short form
    bool file_allowed;
    std::function<void(Config&, std::string_view, const Location&)> set;
    std::function<std::string(const Config&)> dump;  // empty string result: not dumped...
    bool dump_empty = false;                          // ...unless the empty value means something
};

int64_t get_int(std::string_view v, const Location& at, const char* key) {
    int64_t out = 0;
    if (parse_int64(v, out)) return out;
    double d = 0;
    // Python writes e.g. "5e7" or "150.0"; accept integral decimals.
    if (parse_double(v, d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18)
        return static_cast<int64_t>(d);
    invalid(at.source, at.line, std::string(key) + ": expected an integer, got '" + std::string(v) + "'");
}

uint64_t get_uint(std::string_view v, const Location& at, const char* key) {
    uint64_t out = 0;
    if (parse_uint64(v, out)) return out;
    double d = 0;
    if (parse_double(v, d) && std::isfinite(d) && d >= 0 && d == std::floor(d) && d < 1.8e19)
        return static_cast<uint64_t>(d);
    invalid(at.source, at.line,
            std::string(key) + ": expected a non-negative integer, got '" + std::string(v) + "'");
}

double get_double(std::string_view v, const Location& at, const char* key) {
    double out = 0;
    if (parse_double(v, out)) return out;
    invalid(at.source, at.line, std::string(key) + ": expected a number, got '" + std::string(v) + "'");
}

// Error thresholds are integers in the error's unit; a decimal is truncated like the original's stoll.
uint64_t get_error_value(std::string_view v, const Location& at, const char* key) {
    double d = 0;
    uint64_t u = 0;
    if (parse_uint64(v, u)) return u;
    if (parse_double(v, d) && d >= 0) {
        if (std::isinf(d)) return UINT64_MAX;
        if (std::isfinite(d) && d < 1.8e19) return static_cast<uint64_t>(d);
    }
    invalid(at.source, at.line,
            std::string(key) + ": expected a non-negative error value, got '" + std::string(v) + "'");
}

std::string i2s(int64_t v) { return std::to_string(v); }
std::string u2s(uint64_t v) { return std::to_string(v); }

#define INT_KEY(name, lf, sf)                                                                  \
    KeyDef {                                                                                   \
        #name, lf, sf, true,                                                                   \
            [](Config& c, std::string_view v, const Location& at) { c.name = get_int(v, at, #name); }, \
            [](const Config& c) { return i2s(c.name); }                                        \
    }
#define UINT_KEY(name, lf, sf)                                                                  \
    KeyDef {                                                                                    \
        #name, lf, sf, true,                                                                    \
            [](Config& c, std::string_view v, const Location& at) { c.name = get_uint(v, at, #name); }, \
            [](const Config& c) { return u2s(c.name); }                                         \
    }
#define DOUBLE_KEY(name, lf, sf)                                                                  \
    KeyDef {                                                                                      \
        #name, lf, sf, true,                                                                      \
            [](Config& c, std::string_view v, const Location& at) { c.name = get_double(v, at, #name); }, \
            [](const Config& c) { return format_shortest(c.name); }                               \
    }
#define PATH_KEY(name, lf, sf)                                                               \
    KeyDef {                                                                                 \
        #name, lf, sf, true,                                                                 \
            [](Config& c, std::string_view v, const Location&) { c.name = std::string(v); }, \
            [](const Config& c) { return c.name; }, true                                     \
    }

const std::vector<KeyDef>& key_table() {
    static const std::vector<KeyDef> table = {
        INT_KEY(function_input_arity, "--function-input-arity", "-fi"),
        INT_KEY(function_output_arity, "--function-output-arity", "-fo"),
        INT_KEY(output_count, "--output-count", "-oc"),
        INT_KEY(input_count, "--input-count", "-ic"),
        INT_KEY(population_max, "--population-max", "-p"),
        DOUBLE_KEY(mutation_max, "--mutation-max", "-m"),
        DOUBLE_KEY(learning_rate, "--learning-rate", nullptr),
        INT_KEY(row_count, "--row-count", "-r"),
        INT_KEY(col_count, "--col-count", "-c"),
        INT_KEY(look_back_parameter, "--look-back-parameter", "-l"),
        UINT_KEY(generation_count, "--generation-count", "-g"),
        INT_KEY(number_of_runs, "--number-of-runs", "-n"),
        INT_KEY(function_count, "--function-count", "-fc"),
        UINT_KEY(periodic_log_frequency, "--periodic-log-frequency", nullptr),
        PATH_KEY(input_file, "--input-file", "-i"),
        PATH_KEY(output_file, "--output-file", "-o"),
        PATH_KEY(cgp_statistics_file, "--cgp-statistics-file", "-s"),
        PATH_KEY(learning_rate_file, "--learning-rate-file", nullptr),
        PATH_KEY(gate_parameters_file, "--gate-parameters-file", "-fp"),
        KeyDef{"train_weights_file", "--train-weights-file", nullptr, true,
               [](Config& c, std::string_view v, const Location&) { c.train_weights_file = std::string(v); },
               [](const Config& c) {
                   return (!c.train_weights_file.empty() && c.train_weights_file[0] == '#')
                              ? std::string()
                              : c.train_weights_file;
               },
               /* "" (default stream) differs from the default "#..." (discard): keep it */ false},
        KeyDef{"starting_solution", "--starting-solution", nullptr, true,
               [](Config& c, std::string_view v, const Location&) { c.starting_solution = std::string(v); },
               [](const Config& c) { return c.starting_solution; }},
        KeyDef{"mse_threshold", "--mse-threshold", "-mse", true,
               [](Config& c, std::string_view v, const Location& at) {
                   c.mse_threshold = get_error_value(v, at, "mse_threshold");
               },
               [](const Config& c) { return u2s(c.mse_threshold); }},
        DOUBLE_KEY(mse_chromosome_logging_threshold, "--mse-chromosome-logging-threshold", nullptr),
        INT_KEY(dataset_size, "--dataset-size", "-d"),
        UINT_KEY(patience, "--patience", nullptr),
        DOUBLE_KEY(mse_early_stop, "--mse-early-stop", nullptr),
        DOUBLE_KEY(energy_early_stop, "--energy-early-stop", nullptr),
        DOUBLE_KEY(delay_early_stop, "--delay-early-stop", nullptr),
        DOUBLE_KEY(depth_early_stop, "--depth-early-stop", nullptr),
        DOUBLE_KEY(gate_count_early_stop, "--gate-count-early-stop", nullptr),
        INT_KEY(expected_value_min, nullptr, nullptr),
        INT_KEY(expected_value_max, nullptr, nullptr),
        // New keys.
        KeyDef{"seed", "--seed", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) {
                   c.seed = get_uint(v, at, "seed");
                   c.seed_set = true;
               },
               [](const Config& c) { return c.seed_set ? u2s(c.seed) : std::string(); }},
        KeyDef{"threads", "--threads", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) { c.threads = get_int(v, at, "threads"); },
               [](const Config&) { return std::string(); }},
        KeyDef{"error_metric", "--error-metric", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) {
                   if (v == "SE" || v == "se") c.error_metric = ErrorMetric::SE;
                   else if (v == "MSE" || v == "mse") c.error_metric = ErrorMetric::MSE;
                   else if (v == "AE" || v == "ae") c.error_metric = ErrorMetric::AE;
                   else invalid(at.source, at.line, "error_metric: expected SE, MSE or AE, got '" + std::string(v) + "'");
               },
               [](const Config& c) { return std::string(metric_name(c.error_metric)); }},
        KeyDef{"output_assignment", "--output-assignment", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) {
                   if (v == "evolve") c.output_assignment = OutputAssignment::Evolve;
                   else if (v == "nearest") c.output_assignment = OutputAssignment::Nearest;
                   else invalid(at.source, at.line, "output_assignment: expected evolve or nearest, got '" + std::string(v) + "'");
               },
               [](const Config& c) {
                   return std::string(c.output_assignment == OutputAssignment::Evolve ? "evolve" : "nearest");
               }},
        KeyDef{"checkpoint_file", "--checkpoint-file", nullptr, true,
               [](Config& c, std::string_view v, const Location&) { c.checkpoint_file = std::string(v); },
               [](const Config&) { return std::string(); }},
        KeyDef{"checkpoint_every", "--checkpoint-every", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) {
                   c.checkpoint_every = get_double(v, at, "checkpoint_every");
               },
               [](const Config&) { return std::string(); }},
        KeyDef{"time_budget", "--time-budget", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) { c.time_budget = get_double(v, at, "time_budget"); },
               [](const Config& c) { return c.time_budget > 0 ? format_shortest(c.time_budget) : std::string(); }},
        KeyDef{"energy_mutation_max", "--energy-mutation-max", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) {
                   c.energy_mutation_max = get_int(v, at, "energy_mutation_max");
               },
               [](const Config& c) {
                   return c.energy_mutation_max != Config::kDefaultEnergyMutationMax ? i2s(c.energy_mutation_max) : std::string();
               }},
        KeyDef{"timestamps", "--timestamps", nullptr, true,
               [](Config& c, std::string_view v, const Location& at) {
                   if (v == "wall") c.timestamps_zero = false;
                   else if (v == "zero") c.timestamps_zero = true;
                   else invalid(at.source, at.line, "timestamps: expected wall or zero, got '" + std::string(v) + "'");
               },
               [](const Config&) { return std::string(); }},
        KeyDef{"start_run", "--start-run", nullptr, false,
               [](Config& c, std::string_view v, const Location& at) { c.start_run = get_int(v, at, "start_run"); },
               [](const Config&) { return std::string(); }},
        KeyDef{"start_generation", "--start-generation", nullptr, false,
               [](Config& c, std::string_view v, const Location& at) {
                   c.start_generation = get_int(v, at, "start_generation");
               },
               [](const Config&) { return std::string(); }},
    };
    return table;
}

const KeyDef* find_key(std::string_view key) {
    for (const auto& k : key_table())
        if (key == k.key) return &k;
    return nullptr;
}

const KeyDef* find_flag(std::string_view flag) {
    for (const auto& k : key_table()) {
        if (k.long_flag && flag == k.long_flag) return &k;
        if (k.short_flag && flag == k.short_flag) return &k;
    }
    return nullptr;
}

}  // namespace

const char* metric_name(ErrorMetric m) {
    switch (m) {
        case ErrorMetric::SE: return "SE";
        case ErrorMetric::MSE: return "MSE";
        case ErrorMetric::AE: return "AE";
    }
    return "SE";
}

Location Config::location_of(const std::string& key) const {
    const auto it = where.find(key);
    if (it != where.end()) return it->second;
    return Location{"<defaults>", 0};
}

Config parse_config_text(std::string_view text, const std::string& source_name) {
    Config cfg;
    long line_no = 0;
    for (auto raw : split_lines(text)) {
        ++line_no;
        const auto line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            invalid(source_name, line_no, "expected 'key: value', found no ':'");
        const std::string key(trim(line.substr(0, colon)));
        const auto value = trim(line.substr(colon + 1));
        if (key.empty()) invalid(source_name, line_no, "empty key before ':'");
        const Location at{source_name, line_no};
        if (key == "best_solution") {
            cfg.best_solution = std::string(value);
            continue;
        }
        if (key == "evolution_steps_made") {
            cfg.evolution_steps_made = get_uint(value, at, "evolution_steps_made");
            continue;
        }
        const KeyDef* def = find_key(key);
        if (!def) {
            cfg.extra.emplace_back(key, std::string(value));
            continue;
        }
        if (!def->file_allowed)
            invalid(source_name, line_no, key + " may only be given on the command line (--" + key + ")");
        def->set(cfg, value, at);
        cfg.where[key] = at;
    }
    return cfg;
}

void apply_arguments(Config& cfg, const std::vector<std::string>& args, int first_index) {
    const std::string src = "<command line>";
    for (size_t i = 0; i < args.size(); ++i) {
        const long idx = first_index + static_cast<long>(i);
        const std::string& flag = args[i];
        if (flag == "--progress") {
            cfg.progress = true;
            continue;
        }
        const KeyDef* def = find_flag(flag);
        if (!def) invalid(src, idx, "unknown flag '" + flag + "' (see cgp/README.md for the flags)");
        if (i + 1 >= args.size()) invalid(src, idx, "flag '" + flag + "' needs a value");
        const Location at{src, idx + 1};
        def->set(cfg, args[i + 1], at);
        cfg.where[def->key] = at;
        ++i;
    }
}

void validate_config(const Config& c) {
    auto fail = [&](const char* key, const std::string& what) {
        const Location at = c.location_of(key);
        invalid(at.source, at.line, what);
    };
    auto positive = [&](const char* key, int64_t v) {
        if (v <= 0) fail(key, std::string(key) + " must be > 0, got " + std::to_string(v));
    };
    positive("function_input_arity", c.function_input_arity);
    positive("function_output_arity", c.function_output_arity);
    positive("row_count", c.row_count);
    positive("col_count", c.col_count);
    positive("look_back_parameter", c.look_back_parameter);
    positive("number_of_runs", c.number_of_runs);
    positive("function_count", c.function_count);
    positive("dataset_size", c.dataset_size);
    if (c.input_count < 0) fail("input_count", "input_count must be >= 0");
    if (c.output_count < 0) fail("output_count", "output_count must be >= 0");
    if (c.function_input_arity > 64) fail("function_input_arity", "function_input_arity must be <= 64");
    if (c.function_output_arity > 64) fail("function_output_arity", "function_output_arity must be <= 64");
    if (c.look_back_parameter > c.col_count)
        fail("look_back_parameter", "look_back_parameter " + std::to_string(c.look_back_parameter) +
                                        " reaches beyond the " + std::to_string(c.col_count) + " columns");
    if (c.function_count > 29)
        fail("function_count", "function_count " + std::to_string(c.function_count) +
                                   " is unknown: the function set has ids 0..28 (use 27, or 29 with MUX/DEMUX)");
    // Limits that keep every index in 32 bits and every buffer reasonable.
    const long double nodes = static_cast<long double>(c.row_count) * c.col_count;
    if (nodes > 50'000'000.0L) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3Lg", nodes);
        fail("row_count", std::string("grid of ") + buf + " nodes is too large (at most 5e7)");
    }
    const long double pins = c.input_count + nodes * c.function_output_arity;
    const long double genes = nodes * (c.function_input_arity + 1) + c.output_count;
    if (pins > 1.0e9L || genes > 1.0e9L || c.output_count > 100'000'000 || c.input_count > 100'000'000)
        fail("output_count", "chromosome too large");
    if (static_cast<long double>(c.dataset_size) * (c.input_count + c.output_count) > 1.0e9L)
        fail("dataset_size", "dataset too large");
    if (c.population_max < 2)
        fail("population_max", "population_max must be >= 2 (1 parent + at least 1 offspring), got " +
                                   std::to_string(c.population_max));
    if (c.population_max > 1'000'000) fail("population_max", "population_max must be <= 1000000");
    if (!(c.mutation_max >= 0 && c.mutation_max <= 1))
        fail("mutation_max", "mutation_max must be within [0, 1]");
    if (c.patience == 0) fail("patience", "patience must be > 0");
    if (c.expected_value_min < -128 || c.expected_value_min > 127)
        fail("expected_value_min", "expected_value_min must be within int8 [-128, 127]");
    if (c.expected_value_max < -128 || c.expected_value_max > 127)
        fail("expected_value_max", "expected_value_max must be within int8 [-128, 127]");
    if (c.threads < 0) fail("threads", "threads must be >= 0");
    if (c.start_run < 0 || c.start_run > c.number_of_runs) fail("start_run", "start_run must be within [0, number_of_runs]");
    if (!(c.checkpoint_every >= 0) || std::isinf(c.checkpoint_every)) fail("checkpoint_every", "checkpoint_every must be >= 0 seconds");
    if (!(c.time_budget >= 0) || std::isinf(c.time_budget)) fail("time_budget", "time_budget must be >= 0 seconds");
    if (c.energy_mutation_max < 0 || c.energy_mutation_max > 1'000'000'000)
        fail("energy_mutation_max", "energy_mutation_max must be within [0, 1000000000] (0 = as mutation_max)");
}

std::string dump_config(const Config& c) {
    std::ostringstream out;
    for (const auto& k : key_table()) {
        if (!k.file_allowed) continue;
        std::string v = k.dump(c);
        const bool empty_weights = std::string(k.key) == "train_weights_file" && c.train_weights_file.empty();
        if (v.empty() && !k.dump_empty && !empty_weights) continue;
        out << k.key << ':' << (v.empty() ? "" : " ") << v << '\n';
    }
    return out.str();
}

std::string dump_extra(const Config& c) {
    std::string out;
    for (const auto& [k, v] : c.extra) out += k + ": " + v + "\n";
    return out;
}

uint64_t config_fingerprint(const Config& c) {
    // Everything that shapes the evolution; file names and thread counts are excluded.
    std::ostringstream s;
    s << c.function_input_arity << ' ' << c.function_output_arity << ' ' << c.output_count << ' '
      << c.input_count << ' ' << c.population_max << ' ' << format_shortest(c.mutation_max) << ' '
      << c.row_count << ' ' << c.col_count << ' ' << c.look_back_parameter << ' ' << c.generation_count
      << ' ' << c.number_of_runs << ' ' << c.function_count << ' ' << c.mse_threshold << ' '
      << c.dataset_size << ' ' << c.patience << ' ' << c.seed << ' ' << metric_name(c.error_metric) << ' '
      << static_cast<int>(c.output_assignment) << ' ' << c.expected_value_min << ' ' << c.expected_value_max
      << ' ' << c.starting_solution;
    // Appended only when not the default, so checkpoints of default runs keep their fingerprint.
    if (c.energy_mutation_max != Config::kDefaultEnergyMutationMax) s << " emm " << c.energy_mutation_max;
    return fnv1a(s.str());
}

}  // namespace cgp
