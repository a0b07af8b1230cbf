/**
 * How a Proxy API body goes on the wire. Data that is already bytes or text travels as it is; anything else is
 * JSON. Matches what the reference SDK sends, so the provider sees the same request either way.
 */

/**
 * What `request()` accepts as a body: text (string), bytes (Buffer, Uint8Array or another typed array,
 * ArrayBuffer), a form (URLSearchParams, FormData), a Blob, or any other JSON value (objects, arrays, numbers…).
 */
export type ProxyBody = string | ArrayBuffer | ArrayBufferView | URLSearchParams | FormData | Blob | object | number | boolean;

export interface EncodedBody {
  body: string | Uint8Array | ArrayBuffer | URLSearchParams | FormData | Blob | undefined;
  /** The Content-Type to send when the caller gave none; undefined lets fetch pick (forms, multipart, blobs). */
  contentType: string | undefined;
}

/**
 * Text and bytes get `Content-Type: auto`, which asks Switchboard to infer the type from the first bytes (JSON,
 * text or binary), as the reference SDK does; form data and blobs carry their own type; other values are JSON.
 */
export function encodeProxyBody(body: unknown): EncodedBody {
  if (body === undefined || body === null) return { body: undefined, contentType: undefined };
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer) return { body, contentType: 'auto' };
  // Other typed arrays and DataViews: their bytes, not JSON of their indices.
  if (ArrayBuffer.isView(body)) return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), contentType: 'auto' };
  if (body instanceof URLSearchParams || body instanceof FormData || body instanceof Blob) return { body, contentType: undefined };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}
