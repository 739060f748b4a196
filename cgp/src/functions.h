// The function set (spec §4.3): 8-bit two's-complement arithmetic that wraps like the hardware
// gates it models. Ids 0..26 as the original, 27 MUX and 28 DEMUX driven by the dataset item
// index (the selector), 100 the free identity gate.
#pragma once

#include <cstdint>

namespace cgp {

constexpr int kFunctionMux = 27;
constexpr int kFunctionDemux = 28;
constexpr int kFunctionId = 100;
constexpr int kMaxFunctionCount = 29;

inline bool is_known_function(int64_t f) { return (f >= 0 && f < kMaxFunctionCount) || f == kFunctionId; }

inline int8_t wrap8(int v) { return static_cast<int8_t>(static_cast<uint8_t>(static_cast<unsigned>(v) & 0xFFu)); }
inline int8_t shl8(int8_t a, int k) {
    return static_cast<int8_t>(static_cast<uint8_t>(static_cast<unsigned>(static_cast<uint8_t>(a)) << k));
}
inline int8_t sar8(int8_t a, int k) { return static_cast<int8_t>(static_cast<int>(a) >> k); }

// Number of connection genes a function reads (capped by the grid's arity by the caller).
inline int function_arity(int f, int grid_arity, int dataset_size, int output_arity) {
    switch (f) {
        case 1: case 2: case 3: case 8: case 9: case 10:
            return 2;
        case 22: case 23: case 24: case 25: case 26:
            return 0;
        case kFunctionMux:
            return dataset_size < grid_arity ? dataset_size : grid_arity;
        case kFunctionId:
            return output_arity < grid_arity ? output_arity : grid_arity;
        default:
            return 1;
    }
}

// Value of output pin 0 of a node for functions other than DEMUX/ID (which are per pin).
// `in` holds the node's input values; `sel` is the dataset item index.
inline int8_t apply_function(int f, const int8_t* in, int grid_arity, int sel, int8_t vmin, int8_t vmax) {
    const int8_t a = in[0];
    switch (f) {
        case 0: return wrap8(127 - a);
        case 1: return wrap8(a + in[1]);
        case 2: return wrap8(a - in[1]);
        case 3: return wrap8(a * in[1]);
        case 4: return wrap8(-a);
        case 5: return wrap8(a - 128);
        case 6: return sar8(a, 2);
        case 7: return sar8(a, 1);
        case 8: return static_cast<int8_t>(a & in[1]);
        case 9: return static_cast<int8_t>(a | in[1]);
        case 10: return static_cast<int8_t>(a ^ in[1]);
        case 11: return static_cast<int8_t>(~a);
        case 12: return shl8(a, 1);
        case 13: return wrap8(a + 1);
        case 14: return wrap8(a - 1);
        case 15: return sar8(a, 3);
        case 16: return sar8(a, 4);
        case 17: return sar8(a, 5);
        case 18: return shl8(a, 2);
        case 19: return shl8(a, 3);
        case 20: return shl8(a, 4);
        case 21: return shl8(a, 5);
        case 22: return 1;
        case 23: return -1;
        case 24: return 0;
        case 25: return vmin;
        case 26: return vmax;
        case kFunctionMux: return in[sel % grid_arity];
        case kFunctionDemux: return sel == 0 ? a : int8_t{0};
        default: return a;  // ID
    }
}

// Value of output pin k (k >= 0) of a node; pin 0 equals apply_function.
inline int8_t apply_function_pin(int f, const int8_t* in, int grid_arity, int sel, int k, int8_t vmin,
                                 int8_t vmax) {
    if (k == 0) return apply_function(f, in, grid_arity, sel, vmin, vmax);
    if (f == kFunctionDemux) return sel == k ? in[0] : int8_t{0};
    if (f == kFunctionId) return in[k < grid_arity ? k : grid_arity - 1];
    return apply_function(f, in, grid_arity, sel, vmin, vmax);
}

}  // namespace cgp

namespace cgp {

// What `cgp describe` reports about each function: the names are the original's gate-table
// names; `semantics` is the int8 expression (+, -, * and << wrap at 8 bits, >> is arithmetic).
// `arity` is the number of inputs read, -1 where it depends on the grid (MUX, ID).
struct FunctionInfo {
    int id;
    const char* name;
    int arity;
    const char* semantics;
};

inline constexpr FunctionInfo kFunctionSet[] = {
    {0, "reverse_max_a", 1, "127 - a"},
    {1, "add", 2, "a + b"},
    {2, "sub", 2, "a - b"},
    {3, "mul", 2, "a * b"},
    {4, "neg", 1, "-a"},
    {5, "reverse_min_b", 1, "a - 128"},
    {6, "quarter", 1, "a >> 2"},
    {7, "half", 1, "a >> 1"},
    {8, "bit_and", 2, "a & b"},
    {9, "bit_or", 2, "a | b"},
    {10, "bit_xor", 2, "a ^ b"},
    {11, "bit_neg", 1, "~a"},
    {12, "double", 1, "a << 1"},
    {13, "bit_inc", 1, "a + 1"},
    {14, "bit_dec", 1, "a - 1"},
    {15, "r_shift_3", 1, "a >> 3"},
    {16, "r_shift_4", 1, "a >> 4"},
    {17, "r_shift_5", 1, "a >> 5"},
    {18, "l_shift_2", 1, "a << 2"},
    {19, "l_shift_3", 1, "a << 3"},
    {20, "l_shift_4", 1, "a << 4"},
    {21, "l_shift_5", 1, "a << 5"},
    {22, "one_const", 0, "1"},
    {23, "minus_one_const", 0, "-1"},
    {24, "zero_const", 0, "0"},
    {25, "expected_value_min", 0, "expected_value_min"},
    {26, "expected_value_max", 0, "expected_value_max"},
    {kFunctionMux, "mux", -1, "input[item mod inputs], inputs = min(dataset_size, function_input_arity)"},
    {kFunctionDemux, "demux", 1, "pin k: a if k == item else 0"},
    {kFunctionId, "id", -1, "pin k: input k, inputs = min(function_output_arity, function_input_arity)"},
};

}  // namespace cgp
