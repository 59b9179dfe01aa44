#include "io/file_util.h"

#include "common/error.h"

#include <sstream>

namespace ml::io::fileutil {

void fail(const std::filesystem::path &path, const std::string &problem)
{
    throw Error(path.string() + ": " + problem);
}

std::string shapeString(const std::vector<std::int64_t> &shape)
{
    std::ostringstream s;
    s << '[';
    for (std::size_t i = 0; i < shape.size(); ++i)
        s << (i ? ", " : "") << shape[i];
    s << ']';
    return s.str();
}

} // namespace ml::io::fileutil
