/** `<s3lift-dropzone>`: drag-and-drop uploads straight to S3 through an s3lift signer. */
export interface DropzoneItem {
  file: File;
  upload: import('./s3lift').Upload | null;
  state: 'queued' | 'uploading' | 'resuming' | 'paused' | 'done' | 'failed' | 'cancelled';
}
export declare class S3liftDropzone extends HTMLElement {
  /** Headers for signer calls (auth), or a function returning them. */
  headers: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  readonly uploads: DropzoneItem[];
  readonly endpoint: string;
  /** Checks files against `accept` and `max-size`, then uploads the valid ones. */
  addFiles(files: FileList | File[]): void;
}
export declare function formatBytes(n: number): string;
export declare function describeError(e: { code?: string; status?: number; message?: string }): string;
declare global {
  interface HTMLElementTagNameMap { 's3lift-dropzone': S3liftDropzone }
  interface HTMLElementEventMap {
    's3lift-progress': CustomEvent<{ file: File } & import('./s3lift').Progress>;
    's3lift-complete': CustomEvent<{ file: File; result: import('./s3lift').UploadResult }>;
    's3lift-error': CustomEvent<{ file: File; error: { code?: string; status?: number; message: string } }>;
  }
}
