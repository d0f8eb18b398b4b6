// Types for the part of jsfive (pure-JavaScript HDF5 reader) that aigis uses.
declare module "jsfive" {
  export class File {
    constructor(buffer: ArrayBuffer, filename?: string);
    attrs: Record<string, unknown>;
    keys: string[];
  }
}
