// Every function id against an independent reference over all 65,536 int8 input pairs.
#include <cmath>

#include "functions.h"
#include "harness.h"

namespace {

// Reference semantics written from spec §4.3 with plain integer maths: reduce into [-128, 127]
// modulo 256, right shifts as floor division, left shifts as multiplication.
int ref_wrap(long v) {
    long m = ((v % 256) + 256) % 256;
    return static_cast<int>(m >= 128 ? m - 256 : m);
}
int ref_floor_div(int a, int d) { return static_cast<int>(std::floor(static_cast<double>(a) / d)); }

int reference(int f, int a, int b, int sel, int arity_inputs[2], int k_pin) {
    (void)arity_inputs;
    switch (f) {
        case 0: return ref_wrap(127L - a);
        case 1: return ref_wrap(static_cast<long>(a) + b);
        case 2: return ref_wrap(static_cast<long>(a) - b);
        case 3: return ref_wrap(static_cast<long>(a) * b);
        case 4: return ref_wrap(-static_cast<long>(a));
        case 5: return ref_wrap(-128L + a);
        case 6: return ref_floor_div(a, 4);
        case 7: return ref_floor_div(a, 2);
        case 8: case 9: case 10: {
            // Bitwise on the two's-complement byte.
            const int ua = (a + 256) % 256, ub = (b + 256) % 256;
            const int r = f == 8 ? (ua & ub) : f == 9 ? (ua | ub) : (ua ^ ub);
            return ref_wrap(r);
        }
        case 11: return ref_wrap(255L - ((a + 256) % 256));
        case 12: return ref_wrap(a * 2L);
        case 13: return ref_wrap(a + 1L);
        case 14: return ref_wrap(a - 1L);
        case 15: return ref_floor_div(a, 8);
        case 16: return ref_floor_div(a, 16);
        case 17: return ref_floor_div(a, 32);
        case 18: return ref_wrap(a * 4L);
        case 19: return ref_wrap(a * 8L);
        case 20: return ref_wrap(a * 16L);
        case 21: return ref_wrap(a * 32L);
        case 22: return 1;
        case 23: return -1;
        case 24: return 0;
        case 25: return -128;
        case 26: return 127;
        case 27: return sel % 2 == 0 ? a : b;          // MUX over 2 inputs
        case 28: return sel == k_pin ? a : 0;           // DEMUX
        case 100: return k_pin == 0 ? a : b;            // ID, pin k passes input k
    }
    return 999;
}

}  // namespace

TEST(every_function_matches_reference_over_all_pairs) {
    const int ids[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                       15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 100};
    for (int f : ids) {
        long mismatches = 0;
        for (int sel = 0; sel < (f == 27 || f == 28 ? 3 : 1); ++sel) {
            for (int a = -128; a <= 127; ++a) {
                for (int b = -128; b <= 127; ++b) {
                    const int8_t in[2] = {static_cast<int8_t>(a), static_cast<int8_t>(b)};
                    int dummy[2] = {0, 0};
                    const int got = cgp::apply_function(f, in, 2, sel, -128, 127);
                    if (got != reference(f, a, b, sel, dummy, 0)) ++mismatches;
                    if (f == 28 || f == 100) {
                        const int got1 = cgp::apply_function_pin(f, in, 2, sel, 1, -128, 127);
                        if (got1 != reference(f, a, b, sel, dummy, 1)) ++mismatches;
                    }
                }
            }
        }
        if (mismatches) th::fail(__FILE__, __LINE__, "function " + std::to_string(f) + ": " + std::to_string(mismatches) + " mismatches");
    }
}

TEST(function_arity_matches_spec) {
    CHECK_EQ(cgp::function_arity(1, 2, 1, 1), 2);
    CHECK_EQ(cgp::function_arity(0, 2, 1, 1), 1);
    CHECK_EQ(cgp::function_arity(22, 2, 1, 1), 0);
    CHECK_EQ(cgp::function_arity(27, 4, 3, 1), 3);
    CHECK_EQ(cgp::function_arity(100, 2, 1, 1), 1);
    CHECK(!cgp::is_known_function(29));
    CHECK(cgp::is_known_function(100));
}
