/** `<s3lift-dropzone>`: drag-and-drop uploads straight to S3 through an s3lift signer. */
import type { Upload, Progress, UploadResult } from './s3lift.js';

/** `saved`: an unfinished upload from before a reload, waiting for "Resume all" or its file dropped again. */
export type DropzoneState = 'queued' | 'uploading' | 'resuming' | 'paused' | 'offline' | 'another-tab' | 'done' | 'failed' | 'cancelled' | 'saved';

/** A readable error: `message` is a sentence for people, `code`/`status` come from the client or the signer. */
export interface DropzoneError { code: string; status?: number; message: string }

/** One file in the widget's list. */
export interface DropzoneItem {
  /** In state `saved`, only what was stored of the file: `{ name, size, type, lastModified }`. */
  file: File;
  /** The file's path inside a dropped or picked folder (its name included), `''` for a lone file. */
  relativePath: string;
  /** `null` until the client has loaded (or when it failed to load). */
  upload: Upload | null;
  state: DropzoneState;
  progress: Progress;
  result: UploadResult | null;
  error: DropzoneError | null;
}

export declare class S3liftDropzone extends HTMLElement {
  /** Headers for signer calls (auth), or a function returning them (sync or async) for token refresh. */
  headers: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Every file in the list, in order. */
  readonly uploads: DropzoneItem[];
  /** The `endpoint` attribute, default `/s3`. */
  readonly endpoint: string;
  /** The `max-size` attribute in bytes, `Infinity` when unset. */
  readonly maxSize: number;
  /** Checks files against `accept` and `max-size`, then uploads the valid ones. */
  addFiles(files: FileList | File[]): void;
  /** Removes finished rows (done and cancelled) from the list. */
  clear(): void;
  /** Resumes the listed unfinished uploads (from before a reload) that have a stored file handle,
   *  asking for read permission where the browser asks: call it from a click. */
  resumeAll(): Promise<void>;
}

/** `1234567` → `"1.2 MB"` (SI units). */
export declare function formatBytes(n: number): string;
/** A human sentence for an upload error. */
export declare function describeError(e: { code?: string; status?: number; message?: string }): string;
/** Whether `file` matches an `accept` list such as `.png,image/*,application/pdf`. */
export declare function matchesAccept(file: File, accept: string | null | undefined): boolean;

declare global {
  interface HTMLElementTagNameMap { 's3lift-dropzone': S3liftDropzone }
  interface HTMLElementEventMap {
    's3lift-progress': CustomEvent<{ file: File } & Progress>;
    's3lift-complete': CustomEvent<{ file: File; relativePath: string | null; result: UploadResult }>;
    's3lift-error': CustomEvent<{ file: File; error: DropzoneError }>;
  }
}
