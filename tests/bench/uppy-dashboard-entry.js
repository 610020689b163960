// What a Uppy v6 user ships for a drop-files widget uploading to S3: core + aws-s3 + Dashboard
// (with their styles). A separate bundle from uppy.js, so the bundle-size table is unchanged.
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';

export { default as Uppy } from '@uppy/core';
export { default as AwsS3 } from '@uppy/aws-s3';
export { default as Dashboard } from '@uppy/dashboard';
