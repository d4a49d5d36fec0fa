export { compareSequenceNumbers } from '@pipeline/streams';
