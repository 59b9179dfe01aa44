// `modallens-cli info FILE...`: probe media files, as ../shared/specs/cli.md says.
#include "cli_common.h"

#include "common/error.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <iostream>

namespace ml::cli {

namespace {

int runInfo(Context &ctx)
{
    const auto &files = ctx.args.positional();
    if (files.empty())
        throw UsageError("info needs at least one FILE");
#ifndef MODALLENS_HAVE_MEDIA
    throw Error(files.front() + ": this build has no media I/O (configured with MODALLENS_MEDIA=OFF)");
#else
    auto result = runJob(ctx.global, {"Probe media", Lane::Io, [files](JobContext &job) -> std::any {
                                          nlohmann::json out = nlohmann::json::array();
                                          for (std::size_t i = 0; i < files.size(); ++i) {
                                              job.throwIfCancelled();
                                              nlohmann::json entry {{"file", files[i]}};
                                              try {
                                                  const io::MediaInfo info = io::probeMedia(files[i]);
                                                  entry["kind"] = io::mediaKindName(info.kind);
                                                  entry["width"] = info.width;
                                                  entry["height"] = info.height;
                                                  if (info.kind == io::MediaKind::Video) {
                                                      entry["duration_s"] = info.durationS;
                                                      entry["fps"] = info.fps;
                                                      entry["rotation"] = info.rotation;
                                                      entry["frames"] = info.frameCount;
                                                  }
                                                  if (!info.codec.empty())
                                                      entry["codec"] = info.codec;
                                              } catch (const std::exception &e) {
                                                  entry["kind"] = io::mediaKindName(io::guessMediaKind(files[i]));
                                                  entry["error"] = e.what();
                                              }
                                              out.push_back(std::move(entry));
                                              job.report(static_cast<std::int64_t>(i + 1),
                                                  static_cast<std::int64_t>(files.size()), "probing");
                                          }
                                          return out;
                                      }});
    const auto out = std::any_cast<nlohmann::json>(result);
    std::vector<std::string> errors;
    for (const auto &e : out)
        errors.push_back(e.value("error", std::string()));
    const int failed = printErrors(errors);
    if (ctx.global.json) {
        printJson(out);
    } else {
        for (const auto &e : out) {
            if (e.contains("error"))
                continue;
            std::cout << e["file"].get<std::string>() << ": " << e["kind"].get<std::string>() << " "
                      << e["width"].get<int>() << "x" << e["height"].get<int>();
            if (e.contains("codec"))
                std::cout << " " << e["codec"].get<std::string>();
            if (e.contains("duration_s"))
                std::cout << ", " << e["duration_s"].get<double>() << " s at " << e["fps"].get<double>() << " fps";
            std::cout << "\n";
        }
    }
    return failed ? kFailed : kOk;
#endif
}

} // namespace

std::vector<Command> infoCommands()
{
    return {{"info", "info FILE...            probe images and videos (size, duration, fps, codec)", {}, {}, runInfo}};
}

} // namespace ml::cli
