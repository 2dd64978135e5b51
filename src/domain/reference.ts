import { randomInt } from 'node:crypto'

/** Digits and capitals without 0/O, 1/I and L, so a code survives being read aloud or typed. */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
export const REFERENCE_LENGTH = 8

/** A new random reference such as `K7QM4XTR` (31^8 ≈ 8.5·10^11 codes, not sequential). */
export function newReference(): string {
  let code = ''
  for (let i = 0; i < REFERENCE_LENGTH; i++) code += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]
  return code
}

/**
 * Turns what a person typed back into a reference: case, spaces and dashes do not matter.
 * Null when it cannot be one.
 */
export function parseReference(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '')
  if (code.length !== REFERENCE_LENGTH) return null
  for (const ch of code) if (!REFERENCE_ALPHABET.includes(ch)) return null
  return code
}

/** The reference as shown to people: two groups of four, `K7QM-4XTR`. */
export function formatReference(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}
