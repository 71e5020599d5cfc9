export { buildTarGz, type BundleFile } from './bundle';
export {
  createEnrollment,
  DEFAULT_TOKEN_TTL_MS,
  MAX_TOKEN_TTL_MS,
  sha256Hex,
  type Enrollment,
  type EnrollmentOptions,
  type IssuedJoinToken,
  type WorkerBundle,
} from './enrollment';
