import type { ServiceName } from '../../shared/catalog/services';
import { ftpService } from './ftp';
import { httpService } from './http';
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
});

export function serviceModuleFor(name: ServiceName): ServiceModule | undefined {
  return serviceModules[name];
}
