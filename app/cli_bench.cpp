// `modallens-cli bench ...`: figures, never pass/fail. Each benchmark prints a table, or one
// JSON document with --json.
#include "cli_common.h"

#include "common/error.h"

namespace ml::cli {

std::vector<Command> benchCommands()
{
    return {};
}

} // namespace ml::cli
