// How a person's name and phone show where others can see them (the live room's feed, labels,
// the address book on a shared phone): enough to recognise one's own, not enough to reach them.

/**
 * 13800138123 → 138****8123, as labels in China must, so that a parcel left on a doorstep does
 * not publish the number. A +86 prefix is dropped first.
 */
export function maskPhone(phone: string): string {
  let digits = phone.replace(/\D/g, '');
  if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  if (digits.length >= 8) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  return `****${digits.slice(-4)}`;
}

/** 陈晓 → 陈*, Alice → A****: the purchases feed never shows a full name. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : chars[0] + '*'.repeat(Math.min(chars.length - 1, 4));
}
