import type { ServiceName } from '../../shared/catalog/services';
import { conpotService } from './ics/conpot';
import { dnsService } from './infra/dns';
import { llmnrService } from './infra/llmnr';
import { rdpService } from './remote-desktop/rdp';
import { sipService } from './infra/sip';
import { smbService } from './smb/smb';
import { snmpService } from './infra/snmp';
import { tftpService } from './ftp/tftp';
import { vncService } from './remote-desktop/vnc';
import { dockerApiService } from './http/docker-api';
import { elasticsearchService } from './http/elasticsearch';
import { ftpService } from './ftp/ftp';
import { httpService } from './http/http';
import { httpsService } from './http/https';
import { imapService } from './mail/imap';
import { k8sService } from './http/k8s';
import { mqttService } from './infra/mqtt';
import { pop3Service } from './mail/pop3';
import { smtpService } from './mail/smtp';
import { smtpRelayService } from './mail/smtp-relay';
import { ldapService } from './ldap/ldap';
import { mongodbService } from './db/mongodb';
import { mssqlService } from './db/mssql';
import { mysqlService } from './db/mysql';
import { postgresService } from './db/postgres';
import { redisService } from './db/redis';
import { sshService } from './shell/ssh';
import { telnetService } from './shell/telnet';
import type { ServiceModule } from './kit/types';

export { personaFor, deckyHostname, type Persona } from './kit/persona';

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
