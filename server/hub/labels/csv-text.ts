// CSV for people who open it in Excel: RFC 4180 quoting, CRLF line ends, a UTF-8 byte order
// mark (without it Excel on Chinese Windows reads the file as GBK and garbles every name), and
// no cell that a spreadsheet would run as a formula.

const BOM = '\uFEFF';

export type CsvCell = string | number;

export function toCsv(rows: ReadonlyArray<ReadonlyArray<CsvCell>>): string {
  return BOM + rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function csvField(value: CsvCell): string {
  const text = neutraliseFormula(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A cell starting with = + - @ (or a tab or CR, which Excel skips before one) is run as a
 * formula: an address like "=HYPERLINK(...)" would become a live link. A leading apostrophe
 * makes the spreadsheet show it as plain text.
 */
function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
