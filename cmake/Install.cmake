# `cmake --install`: the livectl binary, the libraries a study links, the
# headers a game includes (under include/livectl/) and the CMake package:
#   find_package(livectl)  ->  livectl::engine, livectl::cli, livectl::examples,
#                              livectl_add_study(), livectl_add_games()
include(CMakePackageConfigHelpers)

set(LIVECTL_LIBRARIES livectl_engine livectl_bots livectl_store livectl_server livectl_load
                      livectl_cli livectl_examples)
foreach(library IN LISTS LIVECTL_LIBRARIES)
  string(REPLACE "livectl_" "" export_name ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
target_compile_features(livectl_engine PUBLIC cxx_std_20)
# An SDK built with the sanitizers (scripts/test.sh --sanitize installs one
# in the sdk test) needs them in every study that links it, or the study's
# link misses the sanitizer runtime.
if(LIVECTL_SANITIZE)
  target_compile_options(livectl_engine INTERFACE
    $<INSTALL_INTERFACE:-fsanitize=address,undefined -fno-omit-frame-pointer>)
  target_link_options(livectl_engine INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
endif()

install(TARGETS livectl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${LIVECTL_LIBRARIES} EXPORT livectlTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

file(GLOB LIVECTL_ENGINE_HEADERS ${PROJECT_SOURCE_DIR}/engine/*.h)
install(FILES ${LIVECTL_ENGINE_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/livectl/engine)
install(FILES cli/study_main.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/livectl/cli)
install(FILES games/examples.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/livectl/games)
install(FILES include/livectl/livectl.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/livectl)

set(LIVECTL_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/livectl)
install(EXPORT livectlTargets NAMESPACE livectl:: DESTINATION ${LIVECTL_CMAKE_INSTALL_DIR})
configure_package_config_file(cmake/livectlConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/livectlConfig.cmake
                              INSTALL_DESTINATION ${LIVECTL_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/livectlConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/livectlConfig.cmake
              ${PROJECT_BINARY_DIR}/livectlConfigVersion.cmake
              cmake/LivectlStudy.cmake cmake/embed_game_files.cmake
        DESTINATION ${LIVECTL_CMAKE_INSTALL_DIR})
