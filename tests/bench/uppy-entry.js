// What a Uppy v6 user ships for direct-to-S3 uploads: core + aws-s3.
export { default as Uppy } from '@uppy/core';
export { default as AwsS3 } from '@uppy/aws-s3';
