# Writes build_info.cpp with the current git commit; run at every build, rewrites the file only
# when the content changes (configure_file), so an unchanged tree recompiles nothing.
execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE L2O_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE L2O_GIT_STATUS OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT L2O_GIT_COMMIT)
  set(L2O_GIT_COMMIT "unknown")
endif()
if(L2O_GIT_STATUS)
  set(L2O_GIT_DIRTY "true")
else()
  set(L2O_GIT_DIRTY "false")
endif()
configure_file(${SOURCE_DIR}/harness/build_info.cpp.in ${OUTPUT} @ONLY)
