// Bad input never crashes or hangs: one CgpError naming the file and line, with a documented code.
#include "config.h"
#include "engine.h"
#include "fixtures.h"
#include "harness.h"
#include "io.h"
#include "model.h"

namespace {

cgp::Config valid(const std::string& text) {
    cgp::Config c = cgp::parse_config_text(text, "bad.config");
    cgp::validate_config(c);
    return c;
}

}  // namespace

TEST(bad_config_lines_and_values) {
    CHECK_ERROR(cgp::parse_config_text("row_count: 5\nno colon here\n", "bad.config"), cgp::kExitInvalidInput, "bad.config:2:");
    CHECK_ERROR(cgp::parse_config_text("row_count: five\n", "bad.config"), cgp::kExitInvalidInput, "bad.config:1: row_count");
    CHECK_ERROR(cgp::parse_config_text("start_run: 2\n", "bad.config"), cgp::kExitInvalidInput, "command line");
    CHECK_ERROR(cgp::parse_config_text(": 3\n", "bad.config"), cgp::kExitInvalidInput, "empty key");
    CHECK_ERROR(valid("\nrow_count: 0\n"), cgp::kExitInvalidInput, "bad.config:2: row_count must be > 0");
    CHECK_ERROR(valid("col_count: -3\n"), cgp::kExitInvalidInput, "col_count must be > 0");
    CHECK_ERROR(valid("number_of_runs: 0\n"), cgp::kExitInvalidInput, "number_of_runs");
    CHECK_ERROR(valid("population_max: 1\n"), cgp::kExitInvalidInput, "population_max");
    CHECK_ERROR(valid("col_count: 4\nlook_back_parameter: 9\n"), cgp::kExitInvalidInput, "bad.config:2: look_back_parameter 9 reaches beyond");
    CHECK_ERROR(valid("function_count: 40\n"), cgp::kExitInvalidInput, "function_count must be within [1, 29], got 40");
    CHECK_ERROR(valid("patience: 0\n"), cgp::kExitInvalidInput, "patience");
    CHECK_ERROR(valid("mutation_max: 2\n"), cgp::kExitInvalidInput, "mutation_max");
    CHECK_ERROR(valid("expected_value_max: 300\n"), cgp::kExitInvalidInput, "expected_value_max must be within [-128, 127], got 300");
    CHECK_ERROR(valid("error_metric: RMSE\n"), cgp::kExitInvalidInput, "error_metric");
    CHECK_ERROR(valid("\nenergy_mutation_max: -1\n"), cgp::kExitInvalidInput, "bad.config:2: energy_mutation_max");
    CHECK_ERROR(valid("row_count: 100000\ncol_count: 100000\nlook_back_parameter: 1\n"), cgp::kExitInvalidInput, "too large");
    // Regression (fuzz finding): a grid beyond int64 is reported without undefined behaviour.
    CHECK_ERROR(valid("row_count: 2052e7\ncol_count: 352e7\nlook_back_parameter: 1\n"), cgp::kExitInvalidInput, "7.22e+19 nodes");
}

TEST(bad_flags) {
    cgp::Config c;
    CHECK_ERROR(cgp::apply_arguments(c, {"--no-such-flag", "1"}), cgp::kExitInvalidInput, "<command line>:3: unknown flag");
    CHECK_ERROR(cgp::apply_arguments(c, {"--row-count"}), cgp::kExitInvalidInput, "needs a value");
    CHECK_ERROR(cgp::apply_arguments(c, {"-r", "x"}), cgp::kExitInvalidInput, "<command line>:4: row_count");
}

TEST(bad_data_files) {
    cgp::Config c = cgp::parse_config_text("input_count: 2\noutput_count: 3\n", "c");
    CHECK_ERROR(cgp::parse_dataset("1 2\n3 4\n", c, "train.data"), cgp::kExitInvalidInput, "train.data:2: too few tokens");
    CHECK_ERROR(cgp::parse_dataset("1\n", c, "train.data"), cgp::kExitInvalidInput, "too few tokens");
    CHECK_ERROR(cgp::parse_dataset("1 2\n3 abc 5\n", c, "train.data"), cgp::kExitInvalidInput, "train.data:2: expected an integer");
    CHECK_ERROR(cgp::parse_dataset("1 2\n3 1.5 5\n", c, "train.data"), cgp::kExitInvalidInput, "expected an integer");
    CHECK_ERROR(cgp::parse_dataset("1 200\n3 4 5\n", c, "train.data"), cgp::kExitInvalidInput, "train.data:1: input 200 is outside int8");
    CHECK_ERROR(cgp::parse_dataset("1 2\n3 4 -129\n", c, "train.data"), cgp::kExitInvalidInput, "outside int8");
    CHECK_ERROR(cgp::parse_dataset("1 2\nx x x\n", c, "train.data"), cgp::kExitInvalidInput, "only don't-care");
    CHECK_ERROR(cgp::parse_dataset("", c, "train.data"), cgp::kExitInvalidInput, "too few tokens");
}

TEST(bad_gate_files) {
    cgp::Config c = cgp::parse_config_text("function_count: 27\n", "c");
    std::string short_file;
    for (int i = 0; i < 10; ++i) short_file += "1 1 1 1 1\n";
    CHECK_ERROR(cgp::parse_gate_parameters(short_file, c, "g.txt"), cgp::kExitInvalidInput, "gate file has 10 lines");
    CHECK_ERROR(cgp::parse_gate_parameters("1 1 1 1\n", c, "g.txt"), cgp::kExitInvalidInput, "g.txt:1: expected 5 columns");
    CHECK_ERROR(cgp::parse_gate_parameters("1 1 1 1 1 1\n", c, "g.txt"), cgp::kExitInvalidInput, "expected 5 columns");
    CHECK_ERROR(cgp::parse_gate_parameters("-1 1 1 1 1\n", c, "g.txt"), cgp::kExitInvalidInput, "quantized_energy");
    CHECK_ERROR(cgp::parse_gate_parameters("1 e 1 1 1\n", c, "g.txt"), cgp::kExitInvalidInput, "energy");
    cgp::Config mux = cgp::parse_config_text("function_count: 29\ndataset_size: 2\n", "c");
    std::string plain;
    for (int i = 0; i < 27; ++i) plain += "1 1 1 1 1\n";
    CHECK_ERROR(cgp::parse_gate_parameters(plain, mux, "g.txt"), cgp::kExitInvalidInput, "MUX/DEMUX");
}

TEST(bad_chromosomes) {
    cgp::Config cfg = valid("input_count: 2\noutput_count: 3\nrow_count: 2\ncol_count: 2\nlook_back_parameter: 2\n");
    const cgp::Layout l = cgp::Layout::from_config(cfg);
    const std::string good = "{2,3,2,2,2,2,1}([2]0,1,1)([3]0,1,3)([4]2,3,2)([5]1,0,100)(4,5,2)";
    CHECK(cgp::parse_chromosome(good, l).size() == static_cast<size_t>(l.genes));
    CHECK_ERROR(cgp::parse_chromosome("", l, "c.txt", 4), cgp::kExitInvalidInput, "c.txt:4: chromosome: missing");
    CHECK_ERROR(cgp::parse_chromosome("null", l), cgp::kExitInvalidInput, "missing");
    CHECK_ERROR(cgp::parse_chromosome("{2,4,2,2,2,2,1}" + good.substr(15), l), cgp::kExitInvalidInput, "output_count 4");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,3,2,2,1}" + good.substr(15), l), cgp::kExitInvalidInput, "row_count 3");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,2,2,2}" + good.substr(15), l), cgp::kExitInvalidInput, "expected ','");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,2,2,2,1}([2]0,1,1)", l), cgp::kExitInvalidInput, "expected '('");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,2,2,2,1}([2]0,2,1)([3]0,1,3)([4]2,3,2)([5]1,0,100)(4,5,2)", l),
                cgp::kExitInvalidInput, "is not a pin before its column");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,2,2,2,1}([2]0,1,27)([3]0,1,3)([4]2,3,2)([5]1,0,100)(4,5,2)", l),
                cgp::kExitInvalidInput, "function 27 is not in the function set");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,2,2,2,1}([2]0,1,1)([3]0,1,3)([4]2,3,2)([5]1,0,100)(4,5,6)", l),
                cgp::kExitInvalidInput, "output 2 pin 6");
    CHECK_ERROR(cgp::parse_chromosome(good + "(1)", l), cgp::kExitInvalidInput, "unexpected text");
    CHECK_ERROR(cgp::parse_chromosome("{2,3,2,2,2,2,1}([2]0,1,1)([3]0,1,99999999999999999999)", l), cgp::kExitInvalidInput,
                "expected a number");
}

TEST(command_line_exit_codes) {
    CHECK_EQ(cgp::run_cli({}), static_cast<int>(cgp::kExitNoCommand));
    CHECK_EQ(cgp::run_cli({"train"}), static_cast<int>(cgp::kExitNoConfig));
    CHECK_EQ(cgp::run_cli({"evaluate", "x.config"}), static_cast<int>(cgp::kExitNoConfig));
    CHECK_EQ(cgp::run_cli({"evaluate:chromosome", "x.config"}), static_cast<int>(cgp::kExitMissingPositional));
    CHECK_EQ(cgp::run_cli({"evaluate:chromosome", "x.config", "-i", "d"}), static_cast<int>(cgp::kExitMissingPositional));
    CHECK_EQ(cgp::run_cli({"evaluate:chromosomes", "x.config", "--output-file", "o"}), static_cast<int>(cgp::kExitMissingPositional));
    CHECK_EQ(cgp::run_cli({"train", th::temp_dir() + "/does-not-exist.config"}), static_cast<int>(cgp::kExitInvalidInput));
    const std::string dir = th::temp_dir();
    th::write_file(dir + "/zero.config", "input_count: 0\ngate_parameters_file: g\n");
    CHECK_EQ(cgp::run_cli({"train", dir + "/zero.config"}), static_cast<int>(cgp::kExitZeroCount));
    th::write_file(dir + "/nogates.config", "input_count: 2\n");
    CHECK_EQ(cgp::run_cli({"train", dir + "/nogates.config"}), static_cast<int>(cgp::kExitInvalidInput));
    th::write_file(dir + "/g.txt", fx::gate_text());
    th::write_file(dir + "/d.txt", "1 2\n3\n");
    th::write_file(dir + "/ok.config", "input_count: 2\ngate_parameters_file: " + dir + "/g.txt\ninput_file: " + dir + "/d.txt\n");
    CHECK_EQ(cgp::run_cli({"train", dir + "/ok.config", "--bogus", "1"}), static_cast<int>(cgp::kExitInvalidInput));
    CHECK_EQ(cgp::run_cli({"train", dir + "/ok.config", "--output-file", "o{run"}), static_cast<int>(cgp::kExitTemplate));
    CHECK_EQ(cgp::run_cli({"evaluate:chromosome", dir + "/ok.config", "{2,1,5,5,2,1,1}"}), static_cast<int>(cgp::kExitInvalidInput));
    CHECK_EQ(cgp::run_cli({"evaluate:chromosome", dir + "/ok.config", "@" + dir + "/missing.txt"}), static_cast<int>(cgp::kExitInvalidInput));
    // A checkpoint written for another config is refused, not silently used.
    th::write_file(dir + "/ck.1", "cgp-checkpoint 1\nfingerprint 1\nrun 0\nend\n");
    CHECK_EQ(cgp::run_cli({"train", dir + "/ok.config", "--checkpoint-file", dir + "/ck.{run}", "--number-of-runs", "1"}),
             static_cast<int>(cgp::kExitInvalidInput));
    th::write_file(dir + "/ck.1", "garbage\n");
    CHECK_EQ(cgp::run_cli({"train", dir + "/ok.config", "--checkpoint-file", dir + "/ck.{run}", "--number-of-runs", "1"}),
             static_cast<int>(cgp::kExitInvalidInput));
}
