// A picture a person picks for a profile photo or an app icon: the types and size the server
// takes (`core/media.py`, `HUTONG_AVATAR_MAX_BYTES`), checked before anything is uploaded.

export const PICTURE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
export const PICTURE_MAX = 5 * 1024 * 1024;

/** Why `file` cannot be used, in words; null when it can. */
export function pictureProblem(file) {
  if (!PICTURE_TYPES.includes(file.type)) return "Choose a PNG, JPEG, GIF or WebP image.";
  if (file.size > PICTURE_MAX) return "That image is larger than 5 MB.";
  return null;
}
