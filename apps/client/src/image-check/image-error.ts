/**
 * What a format checker throws: the answer is not a complete, well-formed image of its kind.
 * The caller turns it into a BadResponseError (the checkers stay free of the client's errors).
 */
export class MalformedImageError extends Error {
  constructor(format: string, message: string) {
    super(`${format}: ${message}`);
    this.name = 'MalformedImageError';
  }
}

/** Width and height as the image's own header states them. */
export interface ImageDimensions {
  readonly width: number;
  readonly height: number;
}
