// Reading one field of a JSON config: a missing (or null) key keeps the default, a key with the
// wrong type is an error naming the key. Shared by the CLIP and diffusion config parsers.
#pragma once

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace ml {

// nlohmann turns a float into an integer with a plain cast: undefined behaviour out of range.
template<typename T> bool fitsJsonInteger(const nlohmann::json &v)
{
    return !v.is_number_float()
        || (v.get<double>() > static_cast<double>(std::numeric_limits<T>::min()) - 1.0
            && v.get<double>() < static_cast<double>(std::numeric_limits<T>::max()) + 1.0);
}

template<typename T> struct IsJsonIntegerVector : std::false_type { };
template<typename I>
struct IsJsonIntegerVector<std::vector<I>> : std::bool_constant<std::is_integral_v<I> && !std::is_same_v<I, bool>> { };

template<typename T> void takeJsonField(const nlohmann::json &j, const char *key, T &out)
{
    if (!j.is_object() || !j.contains(key) || j.at(key).is_null())
        return;
    const nlohmann::json &v = j.at(key);
    bool fits = true;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        fits = fitsJsonInteger<T>(v);
    } else if constexpr (IsJsonIntegerVector<T>::value) {
        fits = !v.is_array() || std::all_of(v.begin(), v.end(), fitsJsonInteger<typename T::value_type>);
    }
    if (!fits)
        throw Error(std::string("config key '") + key + "' is out of range (" + v.dump() + ")");
    try {
        out = v.get<T>();
    } catch (const nlohmann::json::exception &) {
        throw Error(std::string("config key '") + key + "' has the wrong type (" + v.dump() + ")");
    }
}

} // namespace ml
