import type { ServiceName } from '../../shared/catalog/services';
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

/** The honeypot services implemented so far; a decky service missing here is reported 'not implemented'. */
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
});

export function serviceModuleFor(name: ServiceName): ServiceModule | undefined {
  return serviceModules[name];
}
