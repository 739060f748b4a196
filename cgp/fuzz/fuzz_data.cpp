// libFuzzer target: the data-file parsers, train.data (parse_dataset) and the 5-column
// gate_parameters.txt (parse_gate_parameters). The first 4 bytes choose the shape the config
// asks for (small, so every input is cheap); the rest is the file text.
// Properties: only CgpError escapes (exit 44, one-line message); a parsed dataset has the
// config's shape, values in int8 and 1..output_count meaningful outputs per item.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.h"
#include "fuzz_common.h"
#include "model.h"
#include "util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) return 0;
    cgp::Config cfg;
    const bool gates = (data[0] & 0x80) != 0;
    cfg.input_count = 1 + data[0] % 16;
    cfg.output_count = 1 + data[1] % 16;
    cfg.dataset_size = 1 + data[2] % 4;
    static const int64_t kFunctionCounts[] = {27, 28, 29, 1, 26, 20, 27, 29};
    cfg.function_count = kFunctionCounts[data[3] % 8];
    const std::string_view text(reinterpret_cast<const char*>(data + 4), size - 4);
    if (gates) {
        try {
            const cgp::GateTable t = cgp::parse_gate_parameters(text, cfg, "fuzz_gate_parameters.txt");
            const cgp::GateCost& id = t.of(100);
            if (id.quantized_energy != 0 || id.quantized_delay != 0 || id.energy != 0)
                cgp_fuzz::violated("ID gate is not free", "");
        } catch (const cgp::CgpError& e) {
            cgp_fuzz::check_error(e, cgp::kExitInvalidInput);
        }
        return 0;
    }
    try {
        const cgp::Dataset d = cgp::parse_dataset(text, cfg, "fuzz_train.data");
        if (d.items != cfg.dataset_size || d.in != cfg.input_count || d.out != cfg.output_count)
            cgp_fuzz::violated("dataset shape differs from the config", "");
        if (d.inputs.size() != static_cast<size_t>(d.items * d.in) || d.outputs.size() != static_cast<size_t>(d.items * d.out) ||
            d.meaningful.size() != static_cast<size_t>(d.items))
            cgp_fuzz::violated("dataset buffers have the wrong size", "");
        for (int m : d.meaningful)
            if (m < 1 || m > d.out) cgp_fuzz::violated("meaningful output count out of range", std::to_string(m));
    } catch (const cgp::CgpError& e) {
        cgp_fuzz::check_error(e, cgp::kExitInvalidInput);
    }
    return 0;
}
