export {
  CA_VALIDITY_DAYS,
  LEAF_VALIDITY_DAYS,
  openCertificateAuthority,
  type CaInfo,
  type CaOptions,
  type CertificateAuthority,
  type IssuedCert,
  type IssuedIdentity,
  type WorkerSubject,
} from './certificate-authority';
