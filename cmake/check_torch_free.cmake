# cmake -DROOT=dir -DSEARCH_DIRS="a;b" [-DSTAMP=file] -P check_torch_free.cmake
#
# Fails when a source or header under ROOT includes a LibTorch header (<torch/...>, <ATen/...>,
# <c10/...>, <caffe2/...>), directly or through our own headers: every "quoted" include is
# followed into the file it names (next to the includer, then in SEARCH_DIRS). ui/ is built
# without LibTorch's include directories, but Debian installs ATen/ and c10/ under /usr/include,
# where the compiler would find them anyway: this check is what keeps DESIGN's rule there.
# The message names the chain of includes that reached LibTorch. Writes STAMP when clean.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT OR NOT IS_DIRECTORY "${ROOT}")
    message(FATAL_ERROR "check_torch_free: ROOT '${ROOT}' is not a folder")
endif()

file(GLOB_RECURSE pending LIST_DIRECTORIES false "${ROOT}/*.cpp" "${ROOT}/*.h")
set(seen ${pending})
set(bad "")
while(pending)
    list(POP_FRONT pending file)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    get_filename_component(dir "${file}" DIRECTORY)
    foreach(line IN LISTS lines)
        if(NOT line MATCHES "#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"]")
            continue()
        endif()
        set(kind "${CMAKE_MATCH_1}")
        set(name "${CMAKE_MATCH_2}")
        if(name MATCHES "^(torch|ATen|c10|caffe2)/")
            # The chain back to a file under ROOT, for the message.
            set(chain "${file}")
            set(at "${file}")
            while(DEFINED "from_${at}")
                set(at "${from_${at}}")
                set(chain "${at} -> ${chain}")
            endwhile()
            string(APPEND bad "\n  ${chain} includes <${name}>")
            continue()
        endif()
        if(NOT kind STREQUAL "\"")
            continue() # the standard library, Qt, nlohmann-json: not ours to follow
        endif()
        set(found "")
        foreach(base IN ITEMS "${dir}" ${SEARCH_DIRS})
            if(EXISTS "${base}/${name}" AND NOT IS_DIRECTORY "${base}/${name}")
                get_filename_component(found "${base}/${name}" ABSOLUTE)
                break()
            endif()
        endforeach()
        if(found AND NOT found IN_LIST seen)
            list(APPEND seen "${found}")
            list(APPEND pending "${found}")
            set("from_${found}" "${file}")
        endif()
    endforeach()
endwhile()

if(bad)
    message(FATAL_ERROR "LibTorch headers reached from ${ROOT} (DESIGN.md: ui/ never compiles a LibTorch header; "
                        "give the core header a torch-free interface instead):${bad}")
endif()
if(STAMP)
    file(TOUCH "${STAMP}")
endif()
