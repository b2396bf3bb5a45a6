/** The `ETag` header of a response (the version to send back as `If-Match`), or "" without one. */
export function etagOf(headers: unknown): string {
  const value = (headers as Record<string, unknown> | undefined)?.etag;
  return typeof value === "string" ? value : "";
}

/**
 * The `If-Match` for an object known only from a list. Readings have no single-object GET whose
 * `ETag` could be read first, and lists carry no ETags, so the tag is rebuilt from the object's
 * `version`, the way the API writes it (`"3"`). A wrong guess is a harmless 412.
 */
export function etagOfVersion(version: number): string {
  return `"${version}"`;
}
