// Every opcode of CPython's pickletools (protocols 0-5), with the encoding of its inline argument.

export type ArgKind =
  | "none"
  | "uint1"
  | "uint2"
  | "int4"
  | "uint4"
  | "uint8"
  | "long1"
  | "long4"
  | "decimalnl_short"
  | "decimalnl_long"
  | "floatnl"
  | "stringnl"
  | "stringnl_noescape"
  | "stringnl_noescape_pair"
  | "unicodestringnl"
  | "string1"
  | "string4"
  | "bytes1"
  | "bytes4"
  | "bytes8"
  | "bytearray8"
  | "unicodestring1"
  | "unicodestring4"
  | "unicodestring8"
  | "float8";

export interface OpcodeInfo {
  name: string;
  code: number;
  arg: ArgKind;
  proto: number;
}

const table: Array<[string, string, ArgKind, number]> = [
  ["INT", "I", "decimalnl_short", 0],
  ["BININT", "J", "int4", 1],
  ["BININT1", "K", "uint1", 1],
  ["BININT2", "M", "uint2", 1],
  ["LONG", "L", "decimalnl_long", 0],
  ["LONG1", "\x8a", "long1", 2],
  ["LONG4", "\x8b", "long4", 2],
  ["STRING", "S", "stringnl", 0],
  ["BINSTRING", "T", "string4", 1],
  ["SHORT_BINSTRING", "U", "string1", 1],
  ["BINBYTES", "B", "bytes4", 3],
  ["SHORT_BINBYTES", "C", "bytes1", 3],
  ["BINBYTES8", "\x8e", "bytes8", 4],
  ["BYTEARRAY8", "\x96", "bytearray8", 5],
  ["NEXT_BUFFER", "\x97", "none", 5],
  ["READONLY_BUFFER", "\x98", "none", 5],
  ["NONE", "N", "none", 0],
  ["NEWTRUE", "\x88", "none", 2],
  ["NEWFALSE", "\x89", "none", 2],
  ["UNICODE", "V", "unicodestringnl", 0],
  ["SHORT_BINUNICODE", "\x8c", "unicodestring1", 4],
  ["BINUNICODE", "X", "unicodestring4", 1],
  ["BINUNICODE8", "\x8d", "unicodestring8", 4],
  ["FLOAT", "F", "floatnl", 0],
  ["BINFLOAT", "G", "float8", 1],
  ["EMPTY_LIST", "]", "none", 1],
  ["APPEND", "a", "none", 0],
  ["APPENDS", "e", "none", 1],
  ["LIST", "l", "none", 0],
  ["EMPTY_TUPLE", ")", "none", 1],
  ["TUPLE", "t", "none", 0],
  ["TUPLE1", "\x85", "none", 2],
  ["TUPLE2", "\x86", "none", 2],
  ["TUPLE3", "\x87", "none", 2],
  ["EMPTY_DICT", "}", "none", 1],
  ["DICT", "d", "none", 0],
  ["SETITEM", "s", "none", 0],
  ["SETITEMS", "u", "none", 1],
  ["EMPTY_SET", "\x8f", "none", 4],
  ["ADDITEMS", "\x90", "none", 4],
  ["FROZENSET", "\x91", "none", 4],
  ["POP", "0", "none", 0],
  ["DUP", "2", "none", 0],
  ["MARK", "(", "none", 0],
  ["POP_MARK", "1", "none", 1],
  ["GET", "g", "decimalnl_short", 0],
  ["BINGET", "h", "uint1", 1],
  ["LONG_BINGET", "j", "uint4", 1],
  ["PUT", "p", "decimalnl_short", 0],
  ["BINPUT", "q", "uint1", 1],
  ["LONG_BINPUT", "r", "uint4", 1],
  ["MEMOIZE", "\x94", "none", 4],
  ["EXT1", "\x82", "uint1", 2],
  ["EXT2", "\x83", "uint2", 2],
  ["EXT4", "\x84", "int4", 2],
  ["GLOBAL", "c", "stringnl_noescape_pair", 0],
  ["STACK_GLOBAL", "\x93", "none", 4],
  ["REDUCE", "R", "none", 0],
  ["BUILD", "b", "none", 0],
  ["INST", "i", "stringnl_noescape_pair", 0],
  ["OBJ", "o", "none", 1],
  ["NEWOBJ", "\x81", "none", 2],
  ["NEWOBJ_EX", "\x92", "none", 4],
  ["PROTO", "\x80", "uint1", 2],
  ["STOP", ".", "none", 0],
  ["FRAME", "\x95", "uint8", 4],
  ["PERSID", "P", "stringnl_noescape", 0],
  ["BINPERSID", "Q", "none", 1],
];

export const OPCODES: ReadonlyArray<OpcodeInfo> = table.map(([name, ch, arg, proto]) => ({
  name,
  code: ch.charCodeAt(0),
  arg,
  proto,
}));

/** Opcode info by byte value; undefined for bytes that are not opcodes. */
export const OPCODE_BY_BYTE: ReadonlyArray<OpcodeInfo | undefined> = (() => {
  const byByte: Array<OpcodeInfo | undefined> = new Array(256).fill(undefined);
  for (const op of OPCODES) byByte[op.code] = op;
  return byByte;
})();

/** Opcode byte values by name, for the simulator's switch. */
export const OP = Object.fromEntries(OPCODES.map((o) => [o.name, o.code])) as Record<string, number>;
