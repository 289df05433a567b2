# Runs `ar -M` on an MRI script (merges static archives into one):
#   cmake -DAR=<ar> -DMRI=<script> -P merge_archives.cmake
execute_process(COMMAND ${AR} -M INPUT_FILE ${MRI} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${AR} -M < ${MRI} failed: ${rc}")
endif()
