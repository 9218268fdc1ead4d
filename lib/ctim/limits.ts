// The string bounds of Threat Response's schema for module answers (the published schema plus the
// CTIM rules it leaves out). C1fApp's text goes into answers as sent, so every bounded field is
// cut to fit here: one over-long feed label must not cost the analyst the whole module answer.

export const MAX_TITLE = 1024
export const MAX_SHORT_DESCRIPTION = 2048
export const MAX_DESCRIPTION = 5000
export const MAX_TAG = 1024
export const MAX_REASON = 1024
export const MAX_SOURCE_URI = 2048

const ELLIPSIS = '…'

/** The text, or its beginning and an ellipsis when it is longer than `max` UTF-16 units (the schema's measure). */
export function fitText (text: string, max: number): string {
  if (text.length <= max) return text
  let end = max - ELLIPSIS.length
  // Never split a surrogate pair: half a character is no character.
  const last = text.charCodeAt(end - 1)
  if (last >= 0xD800 && last <= 0xDBFF) end -= 1
  return text.slice(0, end) + ELLIPSIS
}

/** A URL cut short points somewhere else: one that does not fit is left out. */
export function fitUri (uri: string | undefined): string | undefined {
  return uri !== undefined && uri.length <= MAX_SOURCE_URI ? uri : undefined
}
