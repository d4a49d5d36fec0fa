/**
 * A plain-text table for a terminal: a header row, then one row each, columns padded to
 * their widest cell and two spaces apart, the last column left unpadded.
 *
 * @example
 * formatTable(['shard', 'size'], [['shardId-1', '3']])
 * // 'shard      size\nshardId-1  3'
 */
export const formatTable = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  '),
    )
    .join('\n');
};

/**
 * An ISO 8601 instant to the second, as AWS stamps stream records: `…T10:00:07Z`.
 *
 * @example
 * isoSeconds('2026-11-21T10:00:07.000Z') // '2026-11-21T10:00:07Z'
 */
export const isoSeconds = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');
