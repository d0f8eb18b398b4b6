// Types for the parts of seek-bzip (pure-JavaScript bzip2 decoder) that aigis uses.
declare module "seek-bzip" {
  interface ByteSink {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    decode(input: Uint8Array, output: ByteSink, multistream?: boolean): unknown;
  };
  export = Bunzip;
}
