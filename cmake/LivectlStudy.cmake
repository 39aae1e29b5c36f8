# Building games and studies on livectl. Included by livectl's own
# CMakeLists.txt and, once installed, by find_package(livectl).
#
#   livectl_add_study(<name> GAMES <folder>... [CONFIGS <file>] [NO_EXAMPLES])
#
# builds the executable <name>: every livectl command (games, simulate, test,
# serve, replay, export, bench) over the games in the folders, then
# livectl's four example games unless NO_EXAMPLES is given. A game's folder
# (games/public_goods/) holds its C++ sources (*.cpp, compiled into the
# study), which define the game with LIVECTL_GAME(public_goods, Class), and
# its page templates (*.html, compiled into the binary; `serve --dev` reads
# them from the folder instead). Relative folders are taken from the calling
# CMakeLists.txt's directory. CONFIGS names the study's session
# configurations (oTree's SESSION_CONFIGS as JSON; default: configs.json
# next to the calling CMakeLists.txt, when there is one); its text is
# compiled in, and editing it re-runs CMake.
#
#   livectl_add_games(<target> FUNCTION <c_name> GAMES <folder>...)
#
# is the step underneath: a static library <target> with those games and a
# function `void <c_name>()` that registers them. The examples are built
# with it (livectl::examples, function livectl_register_examples).
include_guard(GLOBAL)

set(LIVECTL_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(livectl_add_games target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "FUNCTION" "GAMES")
  if(NOT arg_FUNCTION OR NOT arg_GAMES)
    message(FATAL_ERROR "livectl_add_games(${target}): FUNCTION and GAMES are required")
  endif()
  set(sources "")
  set(folders "")
  set(file_arguments "")
  set(depends "")
  set(index 0)
  foreach(folder IN LISTS arg_GAMES)
    get_filename_component(folder "${folder}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(game "${folder}" NAME)
    if(NOT IS_DIRECTORY "${folder}")
      message(FATAL_ERROR "livectl: the game folder ${folder} does not exist")
    endif()
    if(NOT game MATCHES "^[a-z][a-z0-9_]*$")
      message(FATAL_ERROR "livectl: a game folder's name is the game's C++ name: lower-case "
                          "letters, digits and _, starting with a letter; got '${game}'")
    endif()
    file(GLOB game_sources CONFIGURE_DEPENDS "${folder}/*.cpp")
    if(NOT game_sources)
      message(FATAL_ERROR "livectl: the game folder ${folder} has no .cpp file")
    endif()
    file(GLOB templates CONFIGURE_DEPENDS RELATIVE "${folder}" "${folder}/*.html")
    list(SORT templates)
    list(APPEND sources ${game_sources})
    list(APPEND folders "${folder}")
    # "|" between names: a ";" would split the argument in two.
    string(REPLACE ";" "|" template_names "${templates}")
    list(APPEND file_arguments "-DFILES_${index}=${template_names}")
    foreach(template IN LISTS templates)
      list(APPEND depends "${folder}/${template}")
    endforeach()
    math(EXPR index "${index} + 1")
  endforeach()
  set(registration "${CMAKE_CURRENT_BINARY_DIR}/${target}_registration.cpp")
  add_custom_command(
    OUTPUT "${registration}"
    COMMAND "${CMAKE_COMMAND}" "-DOUTPUT=${registration}" "-DFUNCTION=${arg_FUNCTION}"
            "-DGAMES=${folders}" ${file_arguments} -P "${LIVECTL_CMAKE_DIR}/embed_game_files.cmake"
    DEPENDS ${depends} "${LIVECTL_CMAKE_DIR}/embed_game_files.cmake"
    COMMENT "Registering ${target}'s games and compiling in their templates"
    VERBATIM)
  add_library(${target} STATIC ${sources} "${registration}")
  target_link_libraries(${target} PUBLIC livectl::engine)
endfunction()

function(livectl_add_study name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_EXAMPLES" "CONFIGS" "GAMES")
  if(NOT name MATCHES "^[A-Za-z][A-Za-z0-9_]*$")
    message(FATAL_ERROR "livectl_add_study: a study's name is a C identifier; got '${name}'")
  endif()
  if(NOT arg_GAMES AND arg_NO_EXAMPLES)
    message(FATAL_ERROR "livectl_add_study(${name}): no GAMES and NO_EXAMPLES leaves no game")
  endif()
  set(declarations "")
  set(calls "")
  set(libraries "")
  if(arg_GAMES)
    livectl_add_games(${name}_games FUNCTION livectl_register_${name} GAMES ${arg_GAMES})
    string(APPEND declarations "void livectl_register_${name}();\n")
    string(APPEND calls "    livectl_register_${name}();\n")
    list(APPEND libraries ${name}_games)
  endif()
  if(NOT arg_NO_EXAMPLES)
    string(APPEND declarations "void livectl_register_examples();\n")
    string(APPEND calls "    livectl_register_examples();\n")
    list(APPEND libraries livectl::examples)
  endif()
  set(configs_text "")
  set(configs_name "configs.json")
  if(arg_CONFIGS)
    get_filename_component(configs "${arg_CONFIGS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${configs}")
      message(FATAL_ERROR "livectl_add_study(${name}): CONFIGS ${configs} does not exist")
    endif()
  else()
    set(configs "${CMAKE_CURRENT_SOURCE_DIR}/configs.json")
  endif()
  if(EXISTS "${configs}")
    file(READ "${configs}" configs_text)
    get_filename_component(configs_name "${configs}" NAME)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${configs}")
    if(configs_text MATCHES "\\)livectl_configs\"")
      message(FATAL_ERROR "livectl: ${configs} may not contain )livectl_configs\"")
    endif()
  endif()
  set(main "${CMAKE_CURRENT_BINARY_DIR}/${name}_main.cpp")
  file(CONFIGURE OUTPUT "${main}" @ONLY CONTENT
"// Generated by livectl_add_study(${name}); do not edit.
#include \"cli/study_main.h\"

${declarations}
int main(int argc, char** argv) {
  return livectl::study_main(argc, argv, \"${name}\", [] {
${calls}  }, R\"livectl_configs(${configs_text})livectl_configs\", \"${configs_name}\");
}
")
  add_executable(${name} "${main}")
  target_link_libraries(${name} PRIVATE ${libraries} livectl::cli)
endfunction()
