import type { ServiceName } from '../../shared/catalog/services';
import { conpotService } from './conpot';
import { dnsService } from './dns';
import { llmnrService } from './llmnr';
import { rdpService } from './rdp';
import { sipService } from './sip';
import { smbService } from './smb';
import { snmpService } from './snmp';
import { tftpService } from './tftp';
import { vncService } from './vnc';
import { dockerApiService } from './docker-api';
import { elasticsearchService } from './elasticsearch';
import { ftpService } from './ftp';
import { httpService } from './http';
import { httpsService } from './https';
import { imapService } from './imap';
import { k8sService } from './k8s';
import { mqttService } from './mqtt';
import { pop3Service } from './pop3';
import { smtpService } from './smtp';
import { smtpRelayService } from './smtp-relay';
import { ldapService } from './ldap';
import { mongodbService } from './mongodb';
import { mssqlService } from './mssql';
import { mysqlService } from './mysql';
import { postgresService } from './postgres';
import { redisService } from './redis';
import { sshService } from './ssh';
import { telnetService } from './telnet';
import type { ServiceModule } from './types';

export { personaFor, deckyHostname, type Persona } from './persona';

/** Every catalogue service's honeypot; tests/unit/agent/services/registry.test.ts keeps it complete. */
export const serviceModules: Readonly<Partial<Record<ServiceName, ServiceModule>>> = Object.freeze({
  ssh: sshService,
  http: httpService,
  ftp: ftpService,
  telnet: telnetService,
  mysql: mysqlService,
  postgres: postgresService,
  mssql: mssqlService,
  mongodb: mongodbService,
  redis: redisService,
  ldap: ldapService,
  smtp: smtpService,
  smtp_relay: smtpRelayService,
  imap: imapService,
  pop3: pop3Service,
  https: httpsService,
  elasticsearch: elasticsearchService,
  k8s: k8sService,
  docker_api: dockerApiService,
  mqtt: mqttService,
  smb: smbService,
  rdp: rdpService,
  vnc: vncService,
  tftp: tftpService,
  snmp: snmpService,
  llmnr: llmnrService,
  dns: dnsService,
  sip: sipService,
  conpot: conpotService,
});

export function serviceModuleFor(name: ServiceName): ServiceModule | undefined {
  return serviceModules[name];
}
