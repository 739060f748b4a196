// bin/cgp entry point: `cgp <command> <config> [positional] [--flag value ...]`.
#include <string>
#include <vector>

#include "engine.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return cgp::run_cli(args);
}
