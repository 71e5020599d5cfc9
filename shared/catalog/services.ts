/**
 * The honeypot service catalogue: every service a decky can run, the ports it listens on and the
 * persona keys an analyst may set for it. Agent service modules, the deploy planner, the wizard
 * and the schemas all read this one table.
 */
export const transports = ['tcp', 'udp'] as const;
export type Transport = (typeof transports)[number];

export type ServicePort = Readonly<{ port: number; proto: Transport }>;

export const personaKeyTypes = ['string', 'int', 'bool', 'secret'] as const;
export type PersonaKeyType = (typeof personaKeyTypes)[number];

export type PersonaKey = Readonly<{ type: PersonaKeyType; help: string }>;

export type ServiceDef = Readonly<{
  label: string;
  ports: readonly ServicePort[];
  persona: Readonly<Record<string, PersonaKey>>;
}>;

const tcp = (...ports: number[]): ServicePort[] => ports.map((port) => ({ port, proto: 'tcp' }));
const udp = (...ports: number[]): ServicePort[] => ports.map((port) => ({ port, proto: 'udp' }));

const banner: PersonaKey = { type: 'string', help: 'Greeting or banner line shown to clients' };
const version: PersonaKey = { type: 'string', help: 'Product version string reported to clients' };
const hostname: PersonaKey = { type: 'string', help: 'Host name the service announces' };
const fetch: PersonaKey = {
  type: 'bool',
  help: 'wget/curl in the fake shell really fetch the URL (capped; never non-public addresses); default off: a faked transfer',
};

export const services = {
  ssh: {
    label: 'SSH',
    ports: tcp(22),
    persona: {
      version: { type: 'string', help: 'SSH identification, e.g. OpenSSH_9.2p1 Debian-2+deb12u3' },
      kernel: { type: 'string', help: 'uname -r shown by the fake shell' },
      users: { type: 'string', help: 'user:password pairs (comma separated) accepted into the fake shell' },
      fetch,
    },
  },
  http: {
    label: 'HTTP',
    ports: tcp(80),
    persona: {
      server: { type: 'string', help: 'Server response header' },
      title: { type: 'string', help: 'Title of the fake login page' },
      poweredBy: { type: 'string', help: 'X-Powered-By header (empty for none)' },
    },
  },
  https: {
    label: 'HTTPS',
    ports: tcp(443),
    persona: {
      server: { type: 'string', help: 'Server response header' },
      title: { type: 'string', help: 'Title of the fake login page' },
      certCn: { type: 'string', help: 'Common name of the persona certificate' },
    },
  },
  ftp: {
    label: 'FTP',
    ports: tcp(21),
    persona: { banner, anonymous: { type: 'bool', help: 'Accept anonymous logins' } },
  },
  tftp: { label: 'TFTP', ports: udp(69), persona: {} },
  smb: {
    label: 'SMB/CIFS',
    ports: tcp(445, 139),
    persona: {
      dialect: { type: 'string', help: 'Highest SMB2 dialect, e.g. 3.1.1' },
      domain: { type: 'string', help: 'NetBIOS domain' },
      hostname,
    },
  },
  rdp: { label: 'RDP', ports: tcp(3389), persona: { nla: { type: 'bool', help: 'Require NLA (CredSSP)' }, hostname } },
  telnet: {
    label: 'Telnet',
    ports: tcp(23),
    persona: { banner, prompt: { type: 'string', help: 'Login prompt' }, fetch },
  },
  vnc: {
    label: 'VNC',
    ports: tcp(5900),
    persona: {
      version: { type: 'string', help: 'RFB version, e.g. 003.008' },
      desktop: { type: 'string', help: 'Desktop name' },
    },
  },
  smtp: { label: 'SMTP', ports: tcp(25, 587), persona: { banner, hostname } },
  smtp_relay: { label: 'SMTP open relay', ports: tcp(25, 587), persona: { banner, hostname } },
  imap: { label: 'IMAP', ports: tcp(143, 993), persona: { banner } },
  pop3: { label: 'POP3', ports: tcp(110, 995), persona: { banner } },
  ldap: {
    label: 'LDAP/AD',
    ports: tcp(389, 636),
    persona: { baseDn: { type: 'string', help: 'Naming context, e.g. DC=corp,DC=local' }, vendor: version },
  },
  llmnr: { label: 'LLMNR/mDNS', ports: udp(5355, 5353), persona: { hostname } },
  dns: { label: 'DNS', ports: [...udp(53), ...tcp(53)], persona: { version } },
  mysql: {
    label: 'MySQL',
    ports: tcp(3306),
    persona: {
      version,
      users: { type: 'string', help: 'user:password pairs (comma separated) that log in and get a small fake schema' },
    },
  },
  postgres: {
    label: 'PostgreSQL',
    ports: tcp(5432),
    persona: {
      version,
      auth: { type: 'string', help: "pg_hba method: 'password' (default) or 'md5' (salted challenge)" },
      users: {
        type: 'string',
        help: 'user:password pairs (comma separated) that log in and get a small fake catalogue',
      },
    },
  },
  mssql: { label: 'MS SQL Server', ports: tcp(1433), persona: { version, hostname } },
  mongodb: { label: 'MongoDB', ports: tcp(27017), persona: { version } },
  redis: {
    label: 'Redis',
    ports: tcp(6379),
    persona: { version, password: { type: 'secret', help: 'requirepass (empty: none)' } },
  },
  elasticsearch: {
    label: 'Elasticsearch',
    ports: tcp(9200),
    persona: { version, clusterName: { type: 'string', help: 'cluster_name' } },
  },
  mqtt: {
    label: 'MQTT',
    ports: tcp(1883),
    persona: {
      version,
      anonymous: { type: 'bool', help: 'Accept clients without valid credentials (allow_anonymous)' },
    },
  },
  snmp: {
    label: 'SNMP',
    ports: udp(161),
    persona: {
      sysDescr: { type: 'string', help: 'sysDescr.0' },
      community: { type: 'secret', help: 'Read community accepted' },
    },
  },
  sip: {
    label: 'SIP',
    ports: [...udp(5060), ...tcp(5060)],
    persona: { userAgent: { type: 'string', help: 'Server / User-Agent header' } },
  },
  k8s: { label: 'Kubernetes API', ports: tcp(6443, 8080), persona: { version } },
  docker_api: { label: 'Docker API', ports: tcp(2375, 2376), persona: { version } },
  conpot: {
    label: 'ICS/SCADA (Modbus, S7)',
    ports: tcp(502, 102),
    persona: {
      vendor: { type: 'string', help: 'Device vendor name' },
      product: { type: 'string', help: 'Device product code' },
    },
  },
} as const satisfies Record<string, ServiceDef>;

export type ServiceName = keyof typeof services;

/** Every service name, in catalogue order. */
export const serviceNames = Object.keys(services) as [ServiceName, ...ServiceName[]];

export function isServiceName(value: string): value is ServiceName {
  return Object.hasOwn(services, value);
}

/** The ports a decky binds for its services; used for clash checks. */
export function portsOf(names: readonly ServiceName[]): ServicePort[] {
  return names.flatMap((n) => services[n].ports);
}

/** First port clash among the services, e.g. `smtp and smtp_relay both use 25/tcp`, or null. */
export function findPortClash(names: readonly ServiceName[]): string | null {
  const owner = new Map<string, ServiceName>();
  for (const name of names) {
    for (const p of services[name].ports) {
      const key = `${p.port}/${p.proto}`;
      const prev = owner.get(key);
      if (prev !== undefined && prev !== name) return `${prev} and ${name} both use ${key}`;
      owner.set(key, name);
    }
  }
  return null;
}
