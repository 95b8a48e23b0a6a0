# Turns a file into a C source holding its bytes, so the binary carries its
# own copy of the scenario schema and never depends on the working directory.
# Usage: cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}" "/* Generated from ${IN}; do not edit. */\n#include <stddef.h>\n"
     "const char ${NAME}[] = {${body} 0x00};\nconst size_t ${NAME}_len = ${len};\n")
