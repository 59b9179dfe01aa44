// Reading one field of a JSON config: a missing (or null) key keeps the default, a key with the
// wrong type is an error naming the key. Shared by the CLIP and diffusion config parsers.
#pragma once

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace ml {

template<typename T> void takeJsonField(const nlohmann::json &j, const char *key, T &out)
{
    if (!j.is_object() || !j.contains(key) || j.at(key).is_null())
        return;
    try {
        out = j.at(key).get<T>();
    } catch (const nlohmann::json::exception &) {
        throw Error(std::string("config key '") + key + "' has the wrong type (" + j.at(key).dump() + ")");
    }
}

} // namespace ml
