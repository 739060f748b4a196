// The engine configuration: the original's `key: value` file format (with blank lines and
// comments allowed), its command-line flags, and the new keys of docs/architecture.md.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgp {

enum class ErrorMetric { SE, MSE, AE };
enum class OutputAssignment { Evolve, Nearest };
// How a key's value is read: Error is a non-negative integer in the error metric's unit (a
// decimal is truncated, inf = no limit); Text is free text (e.g. a chromosome).
enum class KeyKind { Int, UInt, Error, Float, Path, Text, Choice };
const char* kind_name(KeyKind k);

// Where a value came from, so validation errors can point at the offending line.
struct Location {
    std::string source;
    long line = 0;
};

struct Config {
    // Original keys, defaults as the original's Configuration.h except where noted.
    int64_t function_input_arity = 2;
    int64_t function_output_arity = 1;
    int64_t output_count = 1;
    int64_t input_count = 2;
    int64_t population_max = 5;  // 1 parent + 4 offspring (the original's effective default)
    double mutation_max = 0.15;
    double learning_rate = 0.05;  // legacy, parsed and dumped, unused
    int64_t row_count = 5;
    int64_t col_count = 5;
    int64_t look_back_parameter = 1;
    uint64_t generation_count = UINT64_MAX;
    int64_t number_of_runs = 30;
    int64_t function_count = 27;  // ids 0..26; 28/29 add MUX/DEMUX (the original defaulted to 30)
    uint64_t periodic_log_frequency = 100000;
    std::string input_file = "-";
    std::string output_file = "-";
    std::string cgp_statistics_file = "+";
    std::string learning_rate_file;
    std::string gate_parameters_file;
    std::string train_weights_file = "#train_weights_file_value";
    std::string starting_solution;
    uint64_t mse_threshold = 5;
    double mse_chromosome_logging_threshold = NAN;
    int64_t dataset_size = 1;
    uint64_t patience = 125000;
    double mse_early_stop = 0;
    double energy_early_stop = 0;
    double delay_early_stop = NAN;
    double depth_early_stop = NAN;
    double gate_count_early_stop = NAN;
    int64_t expected_value_min = -128;
    int64_t expected_value_max = 127;
    // CLI only.
    int64_t start_run = 0;
    int64_t start_generation = 0;  // accepted for compatibility; resume uses checkpoints
    // New keys (docs/architecture.md).
    bool seed_set = false;
    uint64_t seed = 0;
    int64_t threads = 0;
    ErrorMetric error_metric = ErrorMetric::SE;
    OutputAssignment output_assignment = OutputAssignment::Evolve;
    std::string checkpoint_file;
    double checkpoint_every = 0;  // seconds; 0 = only on SIGTERM/SIGINT
    double time_budget = 0;       // seconds per run; 0 = none
    // Point mutations per offspring at most while the parent's error is at or under the
    // threshold (energy phase), and with nearest assignment in both phases; 0 = mutation_max.
    static constexpr int64_t kDefaultEnergyMutationMax = 4;
    int64_t energy_mutation_max = kDefaultEnergyMutationMax;
    bool timestamps_zero = false;
    // Statistics rows hold chromosomes in full (the original) or as deltas (chromosome_log.h).
    bool statistics_delta = false;
    bool progress = false;
    // Unknown keys, kept in order and dumped back.
    std::vector<std::pair<std::string, std::string>> extra;
    // Consumed from the file: the previous result, if the config is a result config.
    std::string best_solution;
    uint64_t evolution_steps_made = 0;
    std::map<std::string, Location> where;

    Location location_of(const std::string& key) const;
};

// Parses the text of a config file. `source_name` is used in error messages.
// Throws CgpError (exit 44) with the line of the first problem.
Config parse_config_text(std::string_view text, const std::string& source_name);
// Applies `--flag value` overrides (the original's set_from_arguments). args excludes command
// and config path; `first_index` is the argv index of args[0], for error messages.
void apply_arguments(Config& cfg, const std::vector<std::string>& args, int first_index = 3);
// Checks ranges and relations between keys; throws CgpError (exit 44).
void validate_config(const Config& cfg);
// The config dump in the original's key order, new keys after, without `threads` (results
// never depend on it). Does not include best_solution/evolution_steps_made/extra keys.
std::string dump_config(const Config& cfg);
std::string dump_extra(const Config& cfg);
// A fingerprint of everything that affects the evolution (used by checkpoints).
uint64_t config_fingerprint(const Config& cfg);

const char* metric_name(ErrorMetric m);

// One config key as `cgp describe` reports it: the key table of config.cpp is the one place
// that lists keys, flags, types, defaults and ranges; validate_config checks these ranges.
struct KeyDescription {
    std::string key;
    std::string long_flag, short_flag;  // empty: none
    KeyKind kind = KeyKind::Text;
    bool command_line_only = false;  // refused inside a config file
    bool has_default = false;        // false: unset by default (nan early stops, clock seed)
    std::string default_text;        // the default as the dump writes it
    double min = NAN, max = NAN;     // inclusive; NAN = unbounded
    std::vector<std::string> choices;
    std::string help;
};
std::vector<KeyDescription> describe_keys();

}  // namespace cgp
