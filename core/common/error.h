// Error types shared by every part of core: a user-readable message that names the file and
// the problem. Core throws these; the engine's job runner turns them into JobError values.
#pragma once

#include <stdexcept>
#include <string>

namespace ml {

// A failure the user can act on: "photo.jpg: not a JPEG file (starts with 'hello')".
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown by JobContext::throwIfCancelled(); the runner reports it as a cancelled job.
class Cancelled : public std::exception {
public:
    const char *what() const noexcept override { return "cancelled"; }
};

} // namespace ml
