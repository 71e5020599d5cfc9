import type { ServiceName } from '../../shared/catalog/services';
import { ftpService } from './ftp';
import { httpService } from './http';
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
});

export function serviceModuleFor(name: ServiceName): ServiceModule | undefined {
  return serviceModules[name];
}
