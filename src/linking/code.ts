import { randomInt } from "node:crypto";

/**
 * Characters a person can read off one screen and type on another without doubt: no 0/O, 1/I.
 * 32 symbols, so six of them give about a billion codes.
 */
export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const LINK_CODE_LENGTH = 6;

export function randomCode(length: number = LINK_CODE_LENGTH): string {
  let code = "";
  for (let i = 0; i < length; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/**
 * What the person meant to type: case and spacing do not matter ("abc def", " ABC-DEF ").
 * Returns null when the text cannot be a code at all, so it is not looked up.
 */
export function normalizeCode(input: string, length: number = LINK_CODE_LENGTH): string | null {
  const code = input.replace(/[\s-]+/g, "").toUpperCase();
  if (code.length !== length) return null;
  for (const char of code) if (!CODE_ALPHABET.includes(char)) return null;
  return code;
}
