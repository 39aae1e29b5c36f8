# `cpack -G DEB` in a build directory: livectl_<version>_<arch>.deb, which
# installs what `cmake --install` does (cmake/Install.cmake) under /usr: the
# livectl binary, the SDK's headers, static libraries and CMake package.
# tests/package/ builds one and checks it.
#
# Depends, in two parts:
# - what livectl_add_study() needs to build a study on an installed livectl:
#   the libraries' -dev packages at the versions livectlConfig.cmake asks
#   find_dependency() for, a C++20 compiler and CMake. Nothing can compute
#   these (the SDK's libraries are static, so no tool sees what a study will
#   link), so they are listed here; keep them in step with the find_package()
#   calls in CMakeLists.txt.
# - what /usr/bin/livectl loads at run time, computed by dpkg-shlibdeps
#   (SHLIBDEPS, from dpkg-dev) with the minimum versions the binary was built
#   against: libwebsockets17, libsqlite3-0, libstdc++6, libc6, ... An
#   explicit list of those would drift with every Debian release, and the
#   binary keeps running when a -dev package is removed by hand.
set(CPACK_PACKAGE_NAME livectl)
set(CPACK_PACKAGE_VENDOR livectl)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "Write a game once, as a C++ live_method and an HTML page that calls\n"
    "liveSend and liveRecv, then host it for people in browsers over\n"
    "WebSockets (livectl serve), play it with bots (simulate), test it with\n"
    "scenario files (test), replay and export recorded sessions.\n"
    "\n"
    "Includes the SDK for studies kept outside livectl's tree: headers under\n"
    "/usr/include/livectl, static libraries and the CMake package\n"
    "(find_package(livectl), livectl_add_study).")
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "livectl maintainers <maintainers@users.noreply.r-seed-60b87c83.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB CACHE STRING "What cpack builds without -G")
# Debian packages install under /usr whatever CMAKE_INSTALL_PREFIX says.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The binary without its debug info (RelWithDebInfo's makes it ten times
# larger); CMake strips executables only, so the static libraries keep
# theirs, as a study's debugger wants.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # livectl_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)  # experiments in economics and psychology
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "nlohmann-json3-dev (>= 3.10), libcli11-dev (>= 2.1), libsqlite3-dev (>= 3.33), libwebsockets-dev (>= 4.1), libpq-dev (>= 13), g++ (>= 4:12), cmake (>= 3.25)")
# dpkg-shlibdeps runs at cpack time; without dpkg-dev cpack would fail late
# with a message about a missing program.
find_program(LIVECTL_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT LIVECTL_DPKG_SHLIBDEPS)
  message(STATUS "dpkg-shlibdeps not found: `cpack -G DEB` needs dpkg-dev (scripts/bootstrap.sh installs it)")
endif()

include(CPack)
