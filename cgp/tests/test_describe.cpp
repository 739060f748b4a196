// The self-description agrees with what the engine does: every key in the table is described
// with its default, the described ranges are the ones validate_config enforces, the function
// table's arities are the ones the evaluator uses, and --help / describe exit 0.
#include <string>

#include "config.h"
#include "describe.h"
#include "engine.h"
#include "functions.h"
#include "harness.h"
#include "util.h"

TEST(described_keys_have_defaults_and_enforced_ranges) {
    const auto keys = cgp::describe_keys();
    CHECK(keys.size() >= 40);
    const std::string json = cgp::describe_json();
    for (const auto& k : keys) {
        CHECK(json.find("\"name\": \"" + k.key + "\"") != std::string::npos);
        if (std::isnan(k.min) || k.command_line_only) continue;
        // One below the minimum is refused, naming the key.
        const double below = k.kind == cgp::KeyKind::Float ? k.min - 0.5 : k.min - 1;
        const std::string text = k.key + ": " + cgp::format_shortest(below) + "\n";
        CHECK_ERROR(cgp::validate_config(cgp::parse_config_text(text, "r.config")), cgp::kExitInvalidInput, k.key);
    }
}

TEST(function_table_arity_is_the_evaluators) {
    for (const auto& f : cgp::kFunctionSet) {
        if (f.arity < 0) continue;
        CHECK_EQ(f.arity, cgp::function_arity(f.id, 2, 1, 1));
    }
    CHECK_EQ(sizeof(cgp::kFunctionSet) / sizeof(cgp::kFunctionSet[0]), static_cast<size_t>(cgp::kMaxFunctionCount + 1));
}

TEST(help_and_describe_texts) {
    // The texts themselves (run_cli would print them into the test log).
    CHECK(cgp::usage_text().rfind("usage: cgp <command> <config>", 0) == 0);
    for (const auto& c : cgp::engine_commands()) CHECK(cgp::usage_text().find(c.name) != std::string::npos);
    CHECK(cgp::describe_json().find("\"statistics_columns\"") != std::string::npos);
    CHECK_EQ(cgp::run_cli({"describe", "--yaml"}), static_cast<int>(cgp::kExitInvalidInput));
    CHECK(cgp::statistics_header().rfind("run,generation,timestamp,", 0) == 0);
}
