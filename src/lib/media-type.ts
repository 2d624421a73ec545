/** The media type of a Content-Type header, without its parameters, lower-cased; '' when there is none. */
export const mediaTypeOf = (header: string | undefined): string => (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
