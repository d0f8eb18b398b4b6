// Which target kinds the artifact rules may assess: a model format at the top level, or inside
// any archive or compressed stream the walk opens.

/** Archives and compressed streams whose members the artifact scanner reads. */
export const ARCHIVE_KINDS = ["zip", "pytorch-zip", "tar", "gzip", "bzip2", "xz", "zlib", "lzma"] as const;
/** Everything that may hold a pickle: pickles, archives, NumPy object arrays. */
export const PICKLE_CARRIER_KINDS = ["pickle", "numpy", ...ARCHIVE_KINDS] as const;
