# Turns a text file into a C array (cmake -P): -DIN=file -DOUT=file.c -DNAME=symbol.
# Bytes rather than a string literal, so no character of the file needs escaping.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" body "${body}")
file(WRITE "${OUT}.tmp"
"/* Generated from ${IN} by daemon/embed.cmake: do not edit. */\n#include <stddef.h>\n\n#include \"interface.h\"\n\nconst char ${NAME}[] = {\n\t${body}0x00\n};\nconst size_t ${NAME}_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
